# Drop-in proof: mmdet's own packaged Faster R-CNN R-50-FPN 1x COCO config, changed only by
# importing zoo and swapping in zoo's ResNet and FPN. Every other argument (depth, out_indices,
# frozen_stages, norm_eval, torchvision://resnet50 init, FPN widths) is mmdet's, unchanged.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(backbone=dict(type='zoo.ResNet'), neck=dict(type='zoo.FPN'))
