# RetinaNet with zoo's ResNet-18 and zoo's FPN, trained from scratch on the synthetic shapes
# (3 classes, 192 px) on a 2-core CPU in under 15 minutes: a narrower pyramid and head (128
# channels, 2 convs instead of COCO's 256 x 4), AdamW at lr 2e-3, 5 epochs.
# tools/analysis_tools/train_shapes_detectors.py trains it and reports pycocotools' mAP.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    '../_base_/det/shapes_detection.py',
    '../_base_/schedules/shapes_det_adamw_5e.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True, type='zoo.ResNet', depth=18, out_indices=(1, 2, 3), frozen_stages=-1,
        norm_eval=False),
    # C3-C5 in, P3-P7 out (strides 8-128, as the anchor generator expects): the first input
    # is C3 here, so the pyramid starts at level 0, not at mmdet's 1 (which skips its C2).
    neck=dict(type='zoo.FPN', in_channels=[128, 256, 512], out_channels=128, start_level=0),
    bbox_head=dict(num_classes=3, in_channels=128, feat_channels=128, stacked_convs=2))

optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(type='zoo.SafeCheckpointHook'))
