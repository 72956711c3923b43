# mmpretrain's VGG-16 ImageNet recipe: the ResNet schedule with lr 0.01 (VGG without BN
# diverges at 0.1).
_base_ = [
    '../_base_/models/vgg16.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
