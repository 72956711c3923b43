# Detectors from scratch on the synthetic shapes on a CPU: AdamW (no decay on norms and biases),
# 100-iteration linear warm-up, cosine decay over max_epochs, evaluation after each epoch. A
# config that changes max_epochs restates param_scheduler too (its end is fixed here).
max_epochs = 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min=1e-5,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
