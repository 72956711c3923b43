# Swin-Base (v1, window 7) at 224 px: torchvision's swin_b layer for layer.
# The classifier pools the normalised last stage (GlobalAveragePooling) into a linear layer.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SwinTransformer', arch='base', drop_path_rate=0.5),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.0),
        loss=dict(type='CrossEntropyLoss', label_smoothing=0.1, loss_weight=1.0),
        topk=(1, 5)))
