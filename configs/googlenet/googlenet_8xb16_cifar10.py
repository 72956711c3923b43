# GoogLeNet with the CIFAR stem (stride 1, no max pools: inception3 at 32x32) and both
# auxiliary classifiers, on mmpretrain's CIFAR-10 ResNet recipe (128 images a step, 200 epochs).
_base_ = [
    '../_base_/models/googlenet.py',
    '../_base_/datasets/cifar10_bs16.py',
    '../_base_/schedules/cifar10_bs128.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(type='GoogLeNet_CIFAR'), head=dict(num_classes=10, topk=(1, )))
