# MobileNetV1 1.0 (the paper's Table 1).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV1', widen_factor=1.0),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
