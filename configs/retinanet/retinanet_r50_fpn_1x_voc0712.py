# mmdet's RetinaNet R-50-FPN on Pascal VOC 07+12, with zoo's ResNet and FPN.
_base_ = 'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(backbone=dict(type='zoo.ResNet'), neck=dict(type='zoo.FPN'))
