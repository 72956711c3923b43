# The ImageNet SGD recipe (256 images a step, SGD 0.1) with a 5-epoch linear warm-up and then
# polynomial decay, lr = 0.1 * (1 - t / T) ** 0.9 stepped every iteration (the "poly" policy
# of DeepLab and mmseg), reaching 0 at epoch 100.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        by_epoch=True,
        begin=5,
        end=100,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=256)
