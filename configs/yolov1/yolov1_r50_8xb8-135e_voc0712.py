# YOLOv1 (Redmon et al., "You Only Look Once", CVPR 2016) with zoo's ResNet-50 in place of the
# paper's 20 ImageNet-pretrained conv layers: the paper's Pascal VOC 2007+2012 recipe, 448x448
# input, 7x7 grid, 2 boxes per cell, 135 epochs at 64 images a step (8 GPUs x 8).
_base_ = ['mmdet::_base_/datasets/voc0712.py', 'mmdet::_base_/default_runtime.py']
# zoo.det registers zoo.YOLOV1 and zoo.YOLOV1Head (they import mmdet, so plain
# `import zoo` leaves them out).
custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)

input_size = (448, 448)
data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32)
model = dict(
    type='zoo.YOLOV1',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='zoo.ResNet',
        depth=50,
        out_indices=(3, ),
        frozen_stages=1,
        norm_eval=True,
        # ImageNet layers from a classification checkpoint: torchvision's (zoo's ResNet keys are
        # torchvision's), or a zoo ImageClassifier's with
        # checkpoint='work_dirs/resnet50_8xb32_in1k/epoch_100.pth', prefix='backbone.'.
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    # The trained new layers: the paper's 4 convolutions and 2 fully connected layers.
    bbox_head=dict(
        type='zoo.YOLOV1Head',
        num_classes=20,
        in_channels=2048,
        grid_size=7,
        num_boxes=2,
        feat_channels=1024,
        num_convs=4,
        fc_channels=4096,
        dropout=0.5,
        lambda_coord=5.0,
        lambda_noobj=0.5,
        rescore=True),
    test_cfg=dict(
        nms_pre=1000, score_thr=0.005, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))

# The paper's augmentation: random scaling and translation of up to 20% of the image, random
# exposure and saturation by up to a factor of 1.5; horizontal flips as darknet does.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomAffine',
        max_rotate_degree=0,
        max_translate_ratio=0.2,
        scaling_ratio_range=(0.8, 1.2),
        max_shear_degree=0,
        border_val=(104, 116, 124)),  # the ImageNet mean (BGR): zero after normalisation
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='zoo.ColorJitter', brightness=(1 / 1.5, 1.5), saturation=(1 / 1.5, 1.5)),
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

# VOC 2007 + 2012 trainval, each epoch once through both (mmdet's base repeats them 3 times).
voc_train = dict(
    type='VOCDataset',
    data_root={{_base_.data_root}},
    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
    pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                voc_train,
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2007/')),
            dict(
                voc_train,
                ann_file='VOC2012/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2012/')),
        ]))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# VOC 2007 test, 11-point mAP (mmdet's base): the paper's 63.4 mAP is on this split.

# The paper's schedule: learning rate raised from 1e-3 to 1e-2 over the first epochs, then 1e-2
# for 75 epochs, 1e-3 for 30 and 1e-4 for 30; momentum 0.9, weight decay 5e-4.
max_epochs = 135
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
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
        end=2,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[75, 105], gamma=0.1)
]
# zoo's checkpoint hook: checkpoints that resume under torch >= 2.6 (weights_only loading).
default_hooks = dict(checkpoint=dict(type='zoo.SafeCheckpointHook', interval=5, max_keep_ckpts=3))
auto_scale_lr = dict(enable=False, base_batch_size=64)
