# YOLOv3 with zoo's ResNet-50 in place of DarkNet-53: mmdet's YOLOv3 neck and head and its
# multi-scale 608 px, 273-epoch COCO recipe. C3/C4/C5 (512/1024/2048 channels) feed the neck,
# deepest first, as DarkNet's (256/512/1024) do.
_base_ = 'mmdet::yolo/yolov3_d53_8xb8-ms-608-273e_coco.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='zoo.ResNet',
        depth=50,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(in_channels=[2048, 1024, 512]))
