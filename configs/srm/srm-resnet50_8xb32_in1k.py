# SRM-ResNet-50 on ImageNet with the recipe of the ResNet-50 it is compared with (mmpretrain's
# resnet50_8xb32_in1k: 8 GPUs x 32 images, SGD 0.1, steps at 30/60/90, 100 epochs).
_base_ = [
    '../_base_/models/srm-resnet50.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]
