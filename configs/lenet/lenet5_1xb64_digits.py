# LeNet-5 on scikit-learn's handwritten digits: README command 1 trains and tests this config.
_base_ = [
    '../_base_/models/lenet5.py',
    '../_base_/datasets/digits_bs64.py',
    '../_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    # a short linear warm-up keeps the first steps of the tanh network from saturating
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=50, eta_min=1e-4),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=10),
)
randomness = dict(seed=0, deterministic=False)
