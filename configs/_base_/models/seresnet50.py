# SE-ResNet-50 (mmpretrain's seresnet50): ResNet-50 with a squeeze-excitation (ratio 16) after
# the last convolution of every bottleneck, before the residual sum.
_base_ = ['./resnet50.py']
model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='SELayer', ratio=16),
            position='after_conv3',
            stages=(True, True, True, True))
    ]))
