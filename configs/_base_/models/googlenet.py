# torchvision's GoogLeNet (BatchNorm) with its two auxiliary classifiers on inception4a and
# inception4d, whose losses count 0.3 each in training. The published
# model (torchvision's) is this without the auxiliaries:
# --cfg-options model.backbone.out_indices="(8,)" model.head.aux_in_channels="()".
model = dict(
    type='ImageClassifier',
    backbone=dict(type='GoogLeNet', out_indices=(2, 5, 8)),
    neck=None,  # the head pools: its auxiliaries need the unpooled maps
    head=dict(
        type='GoogLeNetClsHead',
        num_classes=1000,
        in_channels=1024,
        dropout_rate=0.2,
        aux_in_channels=(512, 528),
        aux_loss_weight=0.3,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
