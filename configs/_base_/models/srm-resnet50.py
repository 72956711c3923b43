# SRM-ResNet-50 (Lee et al., 2019): style-based recalibration after the last convolution of
# every bottleneck, before the residual sum.
_base_ = ['./resnet50.py']
model = dict(
    backbone=dict(plugins=[
        dict(cfg=dict(type='SRM'), position='after_conv3', stages=(True, True, True, True))
    ]))
