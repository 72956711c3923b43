# torchvision's AlexNet, layer for layer.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='AlexNet', out_indices=(4, )),
    neck=dict(type='GlobalAveragePooling', output_size=6),
    head=dict(
        type='StackedLinearClsHead',
        num_classes=1000,
        in_channels=256 * 6 * 6,
        mid_channels=[4096, 4096],
        dropout_rate=0.5,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
