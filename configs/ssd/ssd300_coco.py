# mmdet's SSD300 COCO recipe (120 epochs) with zoo's SSD-form VGG-16 (ceil-mode pools, pool5
# 3x3/1, dilated fc6 and fc7 as convolutions); mmdet's SSDNeck adds conv4_3's L2Norm and the
# extra levels. zoo.SSDVGG reads mmdet's caffe VGG-16 checkpoint keys as they are.
_base_ = 'mmdet::ssd/ssd300_coco.py'
# zoo.SSDHead is mmdet's SSDHead with mmdet 3.3.0's prediction bug fixed (mmdet#11780).
custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='zoo.SSDVGG',
        depth=16,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://vgg16_caffe')),
    bbox_head=dict(type='zoo.SSDHead'))
