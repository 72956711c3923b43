# mmpretrain's VGG-16-BN ImageNet recipe: the ResNet schedule (lr 0.1).
_base_ = [
    '../_base_/models/vgg16bn.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]
