# mmpretrain's ResNeXt-50 32x4d ImageNet recipe: the ResNet-50 schedule.
_base_ = [
    '../_base_/models/resnext50-32x4d.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]
