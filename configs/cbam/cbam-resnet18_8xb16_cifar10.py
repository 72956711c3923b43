# ResNet-18 with the CIFAR stem and CBAM after the second convolution of every basic
# block, before the residual sum; mmpretrain's CIFAR-10 ResNet recipe (128 images a step,
# 200 epochs).
_base_ = ['../resnet/resnet18_8xb16_cifar10.py']
model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='CBAM', ratio=16),
            position='after_conv2',
            stages=(True, True, True, True))
    ]))
