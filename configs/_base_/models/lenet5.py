# LeNet-5 for 32x32 grey-scale images and 10 classes, the classic layout.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='LeNet5', in_channels=1),
    neck=None,
    head=dict(
        type='StackedLinearClsHead',
        num_classes=10,
        in_channels=120,
        mid_channels=[84],
        dropout_rate=0.0,
        act_cfg=dict(type='Tanh'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
