# mmdet's Faster R-CNN R-50-FPN on Pascal VOC 07+12 (4 epochs of the repeated data set),
# with zoo's ResNet and FPN.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(backbone=dict(type='zoo.ResNet'), neck=dict(type='zoo.FPN'))
