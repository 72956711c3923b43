# mmpretrain's ViT recipe from scratch (imagenet_bs4096_AdamW): 4096 images a step, AdamW
# lr 3e-3, weight decay 0.3 except on the class token and position embedding, gradients
# clipped at norm 1, a 30-epoch linear warm-up from 1e-4 x lr stepped every iteration, then
# cosine decay, stepped every epoch, to 0 by epoch 300.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=0.003, weight_decay=0.3),
    paramwise_cfg=dict(custom_keys={
        '.cls_token': dict(decay_mult=0.0),
        '.pos_embed': dict(decay_mult=0.0),
    }),
    clip_grad=dict(max_norm=1.0),
)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=30,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=270, by_epoch=True, begin=30, end=300),
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=4096)
