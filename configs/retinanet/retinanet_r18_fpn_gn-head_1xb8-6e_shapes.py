# RetinaNet with zoo's ResNet-18 and zoo's FPN, trained from scratch on the synthetic shapes
# (3 classes) on a 2-core CPU in under 15 minutes. Sized for that CPU: 160 px inputs (the
# shapes are 14-93 px there), a narrower pyramid and head (128 channels, 2 convs instead of
# COCO's 256 x 4) with GroupNorm in the head (a head trained from scratch needs a norm, as in
# mmdet's scratch and FCOS/ATSS recipes), AdamW, 6 epochs.
# tools/analysis_tools/train_shapes_detectors.py trains it and reports pycocotools' mAP.
# Measured (2-core CPU, 1000 training images): 11 min 55 s of training, bbox mAP 0.636,
# mAP@0.5 0.854 on the 100 val images. The same without the head's GroupNorm, at 192 px for
# 5 epochs: 0.454 mAP@0.5 in about 13 min; at lr 2e-3 its classification loss diverged.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
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
    # C3-C5 in, P3-P7 out (strides 8-128, as the anchor generator expects): the first input
    # is C3 here, so the pyramid starts at level 0, not at mmdet's 1 (which skips its C2).
    neck=dict(type='zoo.FPN', in_channels=[128, 256, 512], out_channels=128, start_level=0),
    bbox_head=dict(
        num_classes=3,
        in_channels=128,
        feat_channels=128,
        stacked_convs=2,
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True)))

img_scale = (160, 160)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 6
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
