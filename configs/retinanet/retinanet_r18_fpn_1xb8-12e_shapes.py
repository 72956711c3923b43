# RetinaNet with zoo's ResNet-18 and zoo's FPN, trained from scratch on the synthetic shapes
# (256 px, 3 classes) on a CPU: a narrower pyramid and head (128 channels, 2 convs) than
# COCO's 256 x 4, the 1x schedule's shape in 12 epochs. tools/analysis_tools/train_shapes.sh
# runs it and reports pycocotools' mAP.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    '../_base_/det/shapes_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True, type='zoo.ResNet', depth=18, out_indices=(1, 2, 3), frozen_stages=-1,
        norm_eval=False),
    neck=dict(type='zoo.FPN', in_channels=[128, 256, 512], out_channels=128),
    bbox_head=dict(num_classes=3, in_channels=128, feat_channels=128, stacked_convs=2))

optim_wrapper = dict(optimizer=dict(lr=0.01), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=300),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[8, 11], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(type='zoo.SafeCheckpointHook'))
auto_scale_lr = dict(enable=False, base_batch_size=8)
