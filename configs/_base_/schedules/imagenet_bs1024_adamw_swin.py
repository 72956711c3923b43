# mmpretrain's Swin Transformer recipe: 1024 images a step, AdamW lr 1e-3 (5e-4 x 1024 / 512),
# weight decay 0.05 except on norms, biases, other 1-D parameters and the position tables,
# gradients clipped at norm 5, a 20-epoch linear warm-up from 1e-3 x lr stepped every
# iteration, then cosine decay, stepped every epoch, to 1e-5 by epoch 300. (mmpretrain's also
# names '.absolute_pos_embed', which its Swin has only with use_abs_pos_embed=True and zoo's
# Swin never has: a key that matches no parameter is left out.)
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=5e-4 * 1024 / 512, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={
            '.relative_position_bias_table': dict(decay_mult=0.0),
        }),
    clip_grad=dict(max_norm=5.0),
)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=280, eta_min=1e-5, by_epoch=True, begin=20, end=300),
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=1024)
