# mmdet's RetinaNet R-50-FPN 1x COCO, with zoo's ResNet and FPN (extra levels P6/P7 by
# stride-2 convs on the C5 input, as mmdet's config asks).
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(backbone=dict(type='zoo.ResNet'), neck=dict(type='zoo.FPN'))
