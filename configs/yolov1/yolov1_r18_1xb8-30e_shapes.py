# YOLOv1 on the synthetic shapes data set (3 classes; coloured rectangles, ellipses and
# triangles on textured backgrounds), small: zoo's ResNet-18 from scratch, a fully
# convolutional head (two 3x3 convolutions, then a 1x1 convolution per cell), 256 px input.
# Generate the data first, with 1000 training images (YOLOv1 from scratch overfits the default
# 200: 0.22 bbox mAP@0.5 after 100 epochs on 200 images, against 0.78 here); this config
# reads its COCO form:
#     python tools/dataset_converters/make_shapes_dataset.py --out data/shapes --num-train 1000
# Measured (one H200, 3750 iterations in about 3 min 20 s beside two other runs): bbox mAP
# 0.450, mAP@0.5 0.784 on the 50 val images. On a 2-core CPU the same run takes hours.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)

classes = ('rectangle', 'ellipse', 'triangle')  # zoo.det.synthetic.SHAPE_CLASSES
data_root = 'data/shapes/coco/'
input_size = (256, 256)

model = dict(
    type='zoo.YOLOV1',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(type='zoo.ResNet', depth=18, out_indices=(3, ), norm_eval=False),
    bbox_head=dict(
        type='zoo.YOLOV1Head',
        num_classes=len(classes),
        in_channels=512,
        grid_size=7,
        num_boxes=2,
        feat_channels=256,
        num_convs=2,
        fc_channels=None,
        lambda_coord=5.0,
        lambda_noobj=0.5),
    test_cfg=dict(score_thr=0.005, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CocoDataset',
        metainfo=dict(classes=classes),
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        metainfo=dict(classes=classes),
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric', ann_file=data_root + 'annotations/instances_val.json', metric='bbox')
test_evaluator = val_evaluator

# From scratch (no ImageNet weights needed offline): SGD 0.01 after a one-epoch warm-up,
# x0.1 at epoch 24.
max_epochs = 30
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[24], gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='zoo.SafeCheckpointHook', interval=10, max_keep_ckpts=2))
# with compile=True the optimizer's update stays eager (the Runner compiles mmdet's train_step)
custom_hooks = [dict(type='zoo.EagerParamUpdateHook')]
auto_scale_lr = dict(enable=False, base_batch_size=8)
