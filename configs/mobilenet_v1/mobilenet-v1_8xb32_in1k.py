# MobileNetV1 1.0 on ImageNet. The paper trains with asynchronous RMSprop and gives no schedule;
# this is mmpretrain's MobileNetV2 recipe (8 GPUs x 32 images, SGD 0.045, x0.98 every epoch,
# 300 epochs). Other widths: --cfg-options model.backbone.widen_factor=0.5
# model.head.in_channels=512.
_base_ = [
    '../_base_/models/mobilenet-v1.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_bs256_epochstep.py',
    '../_base_/default_runtime.py',
]
