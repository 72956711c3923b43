# mmpretrain's CIFAR-10 recipe: ResNet-18 with the CIFAR stem (3x3 conv, stride 1, no max
# pool), 8 GPUs x 16 = 128 images a step, 200 epochs.
_base_ = [
    '../_base_/models/resnet18_cifar.py',
    '../_base_/datasets/cifar10_bs16.py',
    '../_base_/schedules/cifar10_bs128.py',
    '../_base_/default_runtime.py',
]
