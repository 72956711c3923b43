# ViT-S/16 at 224 px (384 channels, 12 layers, 6 heads; DeiT-S without distillation):
# mmpretrain's deit-small. torchvision has no ViT-S.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer', arch='deit-small', img_size=224, patch_size=16, drop_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='CrossEntropyLoss', label_smoothing=0.1, loss_weight=1.0),
        topk=(1, 5)))
