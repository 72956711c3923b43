# ViT-L/16 at 224 px: torchvision's vit_l_16 layer for layer.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='VisionTransformer', arch='l', img_size=224, patch_size=16, drop_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', label_smoothing=0.1, loss_weight=1.0),
        topk=(1, 5)))
