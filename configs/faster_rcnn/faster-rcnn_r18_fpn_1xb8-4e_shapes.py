# Faster R-CNN with zoo's ResNet-18 and zoo's FPN, trained from scratch on the synthetic shapes
# (3 classes, 192 px) on a 2-core CPU in under 15 minutes. Sized for that CPU: the pyramid is
# P3-P7 (C3-C5 in, 128 channels) as RetinaNet's, not P2-P6, so the RPN's anchors are 4x the
# stride (32-512 px, COCO's 8x on P2: the same sizes); the box head has two 256-wide FCs on 64
# sampled RoIs per image (COCO's: 1024 wide, 512 RoIs); RoIAlign is torchvision's with 2x2
# samples a bin (mmcv's CPU kernel is a third of the training step). AdamW, 4 epochs.
# tools/analysis_tools/train_shapes_detectors.py trains it and reports pycocotools' mAP.
# Measured (2-core CPU, 1000 training images): 12 min 46 s of training, bbox mAP 0.613,
# mAP@0.5 0.806 on the 100 val images.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/det/shapes_detection.py',
    '../_base_/schedules/shapes_det_adamw_cosine.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['zoo'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='zoo.ResNet',
        depth=18,
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        norm_eval=False),
    neck=dict(type='zoo.FPN', in_channels=[128, 256, 512], out_channels=128, num_outs=5),
    rpn_head=dict(
        in_channels=128,
        feat_channels=128,
        anchor_generator=dict(scales=[4], strides=[8, 16, 32, 64, 128])),
    roi_head=dict(
        bbox_roi_extractor=dict(
            roi_layer=dict(sampling_ratio=2, use_torchvision=True),
            out_channels=128,
            featmap_strides=[8, 16, 32, 64]),
        bbox_head=dict(in_channels=128, fc_out_channels=256, num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(max_per_img=300)))

max_epochs = 4
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min=1e-5,
        convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(type='zoo.SafeCheckpointHook'))
# with compile=True the optimizer's update stays eager (AdamW's step does not trace)
custom_hooks = [dict(type='zoo.EagerParamUpdateHook')]
