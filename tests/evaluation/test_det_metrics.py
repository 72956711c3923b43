"""COCO and VOC mAP through mmdet's metrics and mmengine's Evaluator, from every format.

The same predictions must score the same from a YOLO data set (``CocoMetric`` building its
ground truth from the samples, ``ann_file=None``) as from its COCO conversion (``CocoMetric``
reading the JSON), and VOC mAP must be the same from VOC XML as from COCO, in both of
VOCMetric's modes. Two hand-computed cases pin the numbers themselves.
"""
import json
import zlib

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric, VOCMetric
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from zoo.det.datasets import CocoDataset, VOCDataset, YOLODataset
from zoo.det.formats import DetectionSplit, ImageRecord, convert_dataset, write_split
from zoo.det.synthetic import SHAPE_CLASSES, make_shapes_dataset

# serialize_data=False: mmengine's serialisation runs gc.collect(), half a second a data set.
FAST = dict(test_mode=True, serialize_data=False)
# CocoMetric without ann_file reads the ground truth from the samples' 'instances'.
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]


def predict(dataset, make_predictions):
    """Data samples of every image of ``dataset`` with the predictions attached."""
    samples = []
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        bboxes, scores, labels = make_predictions(sample)
        sample.pred_instances = InstanceData(
            bboxes=torch.as_tensor(bboxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.as_tensor(scores, dtype=torch.float32),
            labels=torch.as_tensor(labels, dtype=torch.int64))
        samples.append(sample)
    return samples


def evaluate(metric, dataset, make_predictions, batch_size=4):
    evaluator = Evaluator([metric])
    evaluator.dataset_meta = dataset.metainfo
    samples = predict(dataset, make_predictions)
    for start in range(0, len(samples), batch_size):
        evaluator.process(samples[start:start + batch_size])
    return evaluator.evaluate(len(samples))


def noisy_predictions(sample):
    """Ground truth with jitter, some misses, some wrong labels and some false positives; the
    same for an image whatever format it was loaded from (seeded by its file name)."""
    name = sample.img_path.rsplit('/', 1)[-1]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    height, width = sample.ori_shape
    boxes, scores, labels = [], [], []
    for inst in sample.instances:
        if rng.random() < 0.15:
            continue
        box = np.array(inst['bbox'], dtype=np.float64)
        size = np.tile(box[2:] - box[:2], 2)
        boxes.append(box + rng.normal(0, 0.08, 4) * size)
        scores.append(rng.uniform(0.3, 1.0))
        label = inst['bbox_label']
        labels.append(label if rng.random() > 0.1 else (label + 1) % len(SHAPE_CLASSES))
    for _ in range(rng.integers(0, 3)):
        x, y = rng.uniform(0, width - 8), rng.uniform(0, height - 8)
        boxes.append([x, y, x + rng.uniform(4, width - x), y + rng.uniform(4, height - y)])
        scores.append(rng.uniform(0.0, 0.6))
        labels.append(rng.integers(len(SHAPE_CLASSES)))
    return np.array(boxes).reshape(-1, 4), np.array(scores), np.array(labels)


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory):
    out = tmp_path_factory.mktemp('data') / 'shapes'
    make_shapes_dataset(str(out), num_train=0, num_val=16, img_size=(96, 80), seed=7)
    return out


def test_coco_map_from_yolo_equals_map_from_its_coco_conversion(shapes_root, tmp_path):
    convert_dataset(str(shapes_root / 'yolo'), str(tmp_path / 'coco'), 'yolo', 'coco')
    ann_file = str(tmp_path / 'coco/annotations/instances_val.json')
    coco = CocoDataset(
        data_root=str(tmp_path / 'coco'),
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=SHAPE_CLASSES),
        pipeline=PIPELINE,
        **FAST)
    yolo = YOLODataset(
        data_root=str(shapes_root / 'yolo'), ann_file='val.txt', pipeline=PIPELINE, **FAST)
    from_json = evaluate(CocoMetric(ann_file=ann_file, classwise=True), coco, noisy_predictions)
    prefix = str(tmp_path / 'from_yolo')
    from_yolo = evaluate(
        CocoMetric(ann_file=None, classwise=True, outfile_prefix=prefix), yolo, noisy_predictions)
    assert from_json == from_yolo  # every figure (CocoMetric rounds to 3 decimals)
    assert len(from_json) == 6 + 3 and 0.3 < from_json['coco/bbox_mAP_50'] < 0.95

    # Beyond the rounding: the ground truth CocoMetric built from the YOLO samples is the
    # COCO file's, box for box, so pycocotools computes from identical input.
    def boxes(path, first_category_id):
        content = json.loads(open(path).read())
        return sorted((a['image_id'], a['category_id'] - first_category_id, a['bbox'], a['area'],
                       a['iscrowd']) for a in content['annotations'])

    assert boxes(f'{prefix}.gt.json', 0) == boxes(ann_file, 1)


@pytest.mark.parametrize('eval_mode', ['area', '11points'])
def test_voc_map_is_the_same_from_voc_coco_and_yolo(shapes_root, eval_mode):
    common = dict(metainfo=dict(classes=SHAPE_CLASSES), pipeline=PIPELINE, **FAST)
    datasets = [
        VOCDataset(
            data_root=str(shapes_root / 'voc'),
            ann_file='ImageSets/Main/val.txt',
            data_prefix=dict(sub_data_root=''),
            **common),
        CocoDataset(
            data_root=str(shapes_root / 'coco'),
            ann_file='annotations/instances_val.json',
            data_prefix=dict(img='val/'),
            **common),
        YOLODataset(data_root=str(shapes_root / 'yolo'), ann_file='val.txt', **common),
    ]
    results = [evaluate(VOCMetric(eval_mode=eval_mode), d, noisy_predictions) for d in datasets]
    assert results[0] == results[1] == results[2]
    assert 0.3 < results[0]['pascal_voc/mAP'] < 0.95


@pytest.fixture(scope='module')
def hand_case(tmp_path_factory):
    """One 100x100 image. Class 'a': 2 objects; predictions: a hit (0.9), a miss (0.8), the
    other hit (0.7). Class 'b': 1 object, hit (0.6)."""
    root = tmp_path_factory.mktemp('hand')
    import cv2
    (root / 'img').mkdir()
    cv2.imwrite(str(root / 'img/x.jpg'), np.zeros((100, 100, 3), np.uint8))
    data = DetectionSplit(('a', 'b'), [
        ImageRecord(
            'x.jpg',
            100,
            100,
            bboxes=[[10, 10, 30, 30], [50, 50, 70, 70], [10, 60, 40, 90]],
            labels=[0, 0, 1],
            img_path=str(root / 'img/x.jpg'))
    ])
    for fmt in ('voc', 'coco'):
        write_split(data, str(root / fmt), fmt, 'val')
    return root


def hand_predictions(sample):
    return ([[10, 10, 30, 30], [80, 0, 95, 15], [50, 50, 70, 70],
             [10, 60, 40, 90]], [0.9, 0.8, 0.7, 0.6], [0, 0, 0, 1])


@pytest.mark.parametrize(
    'eval_mode, expected',
    [
        # 'area': precision 1 up to recall 0.5, then 2/3 up to recall 1 -> 0.5 * 1 + 0.5 * 2/3.
        ('area', (5 / 6 + 1) / 2),
        # '11points': recall 0, 0.1 .. 0.5 have precision 1 (6 points), 0.6 .. 1.0 have 2/3 (5).
        ('11points', ((6 + 5 * 2 / 3) / 11 + 1) / 2),
    ])
def test_voc_map_hand_computed(hand_case, eval_mode, expected):
    dataset = VOCDataset(
        data_root=str(hand_case / 'voc'),
        ann_file='ImageSets/Main/val.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=dict(classes=('a', 'b')),
        pipeline=PIPELINE,
        **FAST)
    result = evaluate(VOCMetric(eval_mode=eval_mode), dataset, hand_predictions)
    assert result['pascal_voc/mAP'] == pytest.approx(expected, abs=1e-6)


def test_coco_map_hand_computed(hand_case):
    dataset = CocoDataset(
        data_root=str(hand_case / 'coco'),
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=('a', 'b')),
        pipeline=PIPELINE,
        **FAST)
    result = evaluate(
        CocoMetric(ann_file=str(hand_case / 'coco/annotations/instances_val.json')), dataset,
        hand_predictions)
    # COCO interpolates at 101 recalls: 51 of them (0 .. 0.5) have precision 1, 50 have 2/3;
    # the hits are exact, so every IoU threshold gives the same AP.
    class_a = (51 + 50 * 2 / 3) / 101
    expected = round((class_a + 1) / 2, 3)
    assert result['coco/bbox_mAP'] == result['coco/bbox_mAP_50'] == expected == 0.917
