# mmdet's SSD300 Pascal VOC 07+12 recipe with zoo's SSD-form VGG-16.
_base_ = 'mmdet::pascal_voc/ssd300_voc0712.py'
# zoo.SSDHead is mmdet's SSDHead with mmdet 3.3.0's prediction bug fixed (mmdet#11780).
custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='zoo.SSDVGG',
        depth=16,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://vgg16_caffe')),
    bbox_head=dict(type='zoo.SSDHead'))
