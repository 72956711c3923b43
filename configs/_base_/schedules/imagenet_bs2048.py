# mmpretrain's large-batch ResNet recipe (Goyal et al., "Accurate, Large Minibatch SGD"):
# 2048 images a step, SGD 0.8 (0.1 x 2048 / 256), a linear warm-up over the first 2,500
# iterations counted in iterations as mmdet writes it, then steps at epochs 30/60/90.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.8, momentum=0.9, weight_decay=0.0001, nesterov=True))

param_scheduler = [
    # lr rises linearly from 0.25 x 0.8 to 0.8 over iterations 0..2499
    dict(type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=2500),
    # epoch-based and active from the start: during the warm-up both factors multiply
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=100, milestones=[30, 60, 90], gamma=0.1),
]

train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=2048)
