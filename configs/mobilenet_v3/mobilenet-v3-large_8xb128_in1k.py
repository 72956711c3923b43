# mmpretrain's MobileNetV3-Large ImageNet recipe (mobilenet-v3-large_8xb128_in1k): 8 GPUs x 128
# images, RMSprop 0.064, the learning rate times 0.973 every 2 epochs, 600 epochs. mmpretrain
# adds AutoAugment and RandomErasing to the training pipeline; zoo does not have them yet.
_base_ = [
    '../_base_/models/mobilenet-v3-large.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs1024_rmsprop.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)
