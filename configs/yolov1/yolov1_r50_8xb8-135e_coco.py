# The VOC recipe of yolov1_r50_8xb8-135e_voc0712.py on COCO 2017 (80 classes), evaluated with
# mmdet's CocoMetric. The paper trained YOLOv1 on VOC only; with one object per cell a 7x7 grid
# detects at most 49 objects an image, a known limit on COCO's crowded, small-object scenes.
_base_ = './yolov1_r50_8xb8-135e_voc0712.py'

model = dict(bbox_head=dict(num_classes=80))

data_root = 'data/coco/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric='bbox')
test_evaluator = val_evaluator
