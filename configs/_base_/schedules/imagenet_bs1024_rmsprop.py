# mmpretrain's MobileNetV3 recipe: 1024 images a step, RMSprop 0.064 (TensorFlow's eps), wd
# 1e-5, the learning rate times 0.973 every 2 epochs, 600 epochs.
optim_wrapper = dict(
    optimizer=dict(
        type='RMSprop', lr=0.064, alpha=0.9, momentum=0.9, eps=0.0316, weight_decay=1e-5))

param_scheduler = dict(type='StepLR', by_epoch=True, step_size=2, gamma=0.973)

train_cfg = dict(by_epoch=True, max_epochs=600, val_interval=10)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=1024)
