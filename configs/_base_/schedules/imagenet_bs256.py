# mmpretrain's ResNet recipe: 256 images a step, SGD 0.1, steps at 30/60/90, 100 epochs.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))

param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# `tools/train.py --cfg-options auto_scale_lr.enable=True` scales lr to the real batch size.
auto_scale_lr = dict(base_batch_size=256)
