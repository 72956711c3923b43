# torchvision's VGG-19-BN, layer for layer.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='VGG', depth=19, norm_cfg=dict(type='BN'), out_indices=(4, )),
    neck=dict(type='GlobalAveragePooling', output_size=7),
    head=dict(
        type='StackedLinearClsHead',
        num_classes=1000,
        in_channels=512 * 7 * 7,
        mid_channels=[4096, 4096],
        dropout_rate=0.5,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
