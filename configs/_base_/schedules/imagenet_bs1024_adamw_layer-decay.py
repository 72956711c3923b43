# Fine-tuning a pretrained network with layer-wise learning-rate decay (BEiT / MAE recipe, as
# mmpretrain's MAE ViT-B fine-tuning): 1024 images a step, AdamW lr 2e-3 (5e-4 x 1024 / 256)
# for the head, each depth below it 0.65x the one above (zoo.LayerDecayOptimWrapperConstructor,
# depths from the backbone's get_layer_depth), no weight decay on norms, biases, the class
# token and the position embedding; a 5-epoch linear warm-up stepped every iteration, then
# cosine decay to 1e-6 by epoch 100.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=5e-4 * 1024 / 256, weight_decay=0.05, betas=(0.9, 0.999)),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.65,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=95,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=100,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=1024)
