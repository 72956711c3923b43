# MobileNetV1 1.0 on CIFAR-10: the stem convolution at stride 1 keeps 32x32 images at full
# resolution into the first stage (2x2 at the end); mmpretrain's CIFAR-10 recipe.
_base_ = [
    '../_base_/models/mobilenet-v1.py',
    '../_base_/datasets/cifar10_bs16.py',
    '../_base_/schedules/cifar10_bs128.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(stem_stride=1), head=dict(num_classes=10, topk=(1, )))
