# CBAM-ResNet-50 (Woo et al., 2018): channel then spatial attention after the last convolution
# of every bottleneck, before the residual sum.
_base_ = ['./resnet50.py']
model = dict(
    backbone=dict(plugins=[
        dict(
            cfg=dict(type='CBAM', ratio=16, kernel_size=7),
            position='after_conv3',
            stages=(True, True, True, True))
    ]))
