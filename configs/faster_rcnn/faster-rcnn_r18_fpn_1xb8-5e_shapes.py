# Faster R-CNN with zoo's ResNet-18 and zoo's FPN, trained from scratch on the synthetic shapes
# (3 classes, 192 px) on a 2-core CPU in under 15 minutes: a 128-channel pyramid and RPN, a
# 256-wide two-FC box head on 128 sampled RoIs per image (COCO's: 256 channels, 1024-wide FCs,
# 512 RoIs), AdamW, 5 epochs.
# tools/analysis_tools/train_shapes_detectors.py trains it and reports pycocotools' mAP.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/det/shapes_detection.py',
    '../_base_/schedules/shapes_det_adamw_5e.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True, type='zoo.ResNet', depth=18, out_indices=(0, 1, 2, 3), frozen_stages=-1,
        norm_eval=False),
    neck=dict(type='zoo.FPN', in_channels=[64, 128, 256, 512], out_channels=128),
    rpn_head=dict(in_channels=128, feat_channels=128),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=128),
        bbox_head=dict(in_channels=128, fc_out_channels=256, num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(max_per_img=300)))

default_hooks = dict(logger=dict(interval=25), checkpoint=dict(type='zoo.SafeCheckpointHook'))
