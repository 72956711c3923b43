"""zoo's detection datasets: YOLODataset, and CocoDataset / VOCDataset with checked input."""
import numpy as np
import pytest
import torch
from mmdet.datasets import CocoDataset as MMDetCocoDataset
from mmdet.datasets import VOCDataset as MMDetVOCDataset
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from zoo.det.datasets import CocoDataset, VOCDataset, YOLODataset
from zoo.det.formats import InvalidAnnotationError
from zoo.det.synthetic import SHAPE_CLASSES, make_shapes_dataset

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs'),
]


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory):
    out = tmp_path_factory.mktemp('data') / 'shapes'
    make_shapes_dataset(str(out), num_train=6, num_val=6, img_size=(96, 64), seed=2)
    return out


# serialize_data=False: mmengine's serialisation runs gc.collect(), half a second a data set.
def yolo_val(root, **kwargs):
    kwargs.setdefault('serialize_data', False)
    return YOLODataset(data_root=str(root / 'yolo'), ann_file='val.txt', **kwargs)


def coco_val(root, cls=CocoDataset, **kwargs):
    kwargs.setdefault('serialize_data', False)
    return cls(
        data_root=str(root / 'coco'),
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=SHAPE_CLASSES),
        **kwargs)


def voc_val(root, cls=VOCDataset, **kwargs):
    kwargs.setdefault('serialize_data', False)
    return cls(
        data_root=str(root / 'voc'),
        ann_file='ImageSets/Main/val.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=dict(classes=SHAPE_CLASSES),
        **kwargs)


def without_paths(info):
    return {k: v for k, v in info.items() if k not in ('img_path', 'xml_path', 'sample_idx')}


def test_every_format_gives_mmdet_cocodataset_samples(shapes_root):
    reference = coco_val(shapes_root, cls=MMDetCocoDataset)
    yolo, coco, voc = yolo_val(shapes_root), coco_val(shapes_root), voc_val(shapes_root)
    mmdet_voc = voc_val(shapes_root, cls=MMDetVOCDataset)
    assert len(reference) == len(yolo) == len(coco) == len(voc) == 6
    assert yolo.metainfo['classes'] == SHAPE_CLASSES
    for i in range(6):
        expected = reference.get_data_info(i)
        assert yolo.get_data_info(i) == dict(expected, img_path=yolo.get_data_info(i)['img_path'])
        assert coco.get_data_info(i) == expected
        assert yolo.get_data_info(i)['img_path'].endswith(f'yolo/images/val/val_{i:06d}.jpg')
        # VOC ids are file stems; the boxes are the same as COCO's (mmdet's convention).
        assert voc.get_data_info(i) == mmdet_voc.get_data_info(i)
        assert voc.get_data_info(i)['instances'] == expected['instances']


def test_yolo_pipeline_gives_mmdet_inputs(shapes_root):
    dataset = yolo_val(shapes_root, pipeline=PIPELINE)
    sample = dataset[1]
    assert sample['inputs'].shape == (3, 64, 96) and sample['inputs'].dtype == torch.uint8
    gt = sample['data_samples'].gt_instances
    expected = dataset.get_data_info(1)['instances']
    assert gt.bboxes.tensor.tolist() == [inst['bbox'] for inst in expected]
    assert gt.labels.tolist() == [inst['bbox_label'] for inst in expected]


def test_yolo_folder_scan_equals_the_list(shapes_root):
    listed = yolo_val(shapes_root)
    scanned = YOLODataset(
        data_root=str(shapes_root / 'yolo'),
        data_prefix=dict(img='images/val/'),
        serialize_data=False)
    assert [scanned.get_data_info(i) for i in range(len(scanned))] == \
        [listed.get_data_info(i) for i in range(len(listed))]


def test_built_from_an_mmdet_config_through_the_runner(shapes_root):
    loader_cfg = dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='pseudo_collate'),
        dataset=dict(
            type='zoo.YOLODataset',
            data_root=str(shapes_root / 'yolo'),
            ann_file='train.txt',
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=PIPELINE))
    with DefaultScope.overwrite_default_scope('mmdet'):
        loader = Runner.build_dataloader(loader_cfg)
        coco = MMDET_DATASETS.build(
            dict(
                type='zoo.CocoDataset',
                data_root=str(shapes_root / 'coco'),
                ann_file='annotations/instances_train.json',
                data_prefix=dict(img='train/'),
                metainfo=dict(classes=SHAPE_CLASSES)))
    assert isinstance(loader.dataset, YOLODataset) and isinstance(coco, CocoDataset)
    batch = next(iter(loader))
    assert len(batch['inputs']) == 2 and batch['inputs'][0].shape == (3, 64, 96)


def test_yolo_classes_come_from_the_names_file_or_metainfo(shapes_root, tmp_path):
    assert yolo_val(shapes_root, metainfo=dict(classes=SHAPE_CLASSES)).metainfo['classes'] == \
        SHAPE_CLASSES
    with pytest.raises(ValueError, match='differ from classes.txt'):
        yolo_val(shapes_root, metainfo=dict(classes=('a', 'b', 'c')))
    with pytest.raises(FileNotFoundError, match='class-names file not found'):
        yolo_val(shapes_root, classes_file='names.txt')
    named = yolo_val(shapes_root, classes_file='names.txt', metainfo=dict(classes=SHAPE_CLASSES))
    assert len(named) == 6


def test_yolo_filter_cfg_drops_empty_images(shapes_root, tmp_path):
    label = shapes_root / 'yolo/labels/val/val_000002.txt'
    kept = label.read_text()
    label.write_text('')
    try:
        assert len(yolo_val(shapes_root, filter_cfg=dict(filter_empty_gt=True))) == 5
        assert len(yolo_val(shapes_root, filter_cfg=dict(filter_empty_gt=True),
                            test_mode=True)) == 6
        assert len(yolo_val(shapes_root, filter_cfg=dict(min_size=64))) == 6
        assert len(yolo_val(shapes_root, filter_cfg=dict(min_size=65))) == 0
    finally:
        label.write_text(kept)


@pytest.fixture
def broken_yolo(shapes_root, tmp_path):
    import shutil
    root = tmp_path / 'yolo'
    shutil.copytree(shapes_root / 'yolo', root)
    label = root / 'labels/val/val_000001.txt'
    lines = label.read_text().splitlines()
    label.write_text('\n'.join(['7 0.5 0.5 0.1 0.1'] + lines) + '\n')
    (root / 'val.txt').write_text((root / 'val.txt').read_text() + 'images/val/gone.jpg\n')
    return root, len(lines)


def test_yolo_on_error(broken_yolo):
    root, num_good = broken_yolo
    with pytest.raises(
            InvalidAnnotationError,
            match=r'val_000001\.txt, line 1: class id 7 is '
            r'out of range \(0\.\.2\)'):
        YOLODataset(data_root=str(root), ann_file='val.txt', serialize_data=False)
    dataset = YOLODataset(
        data_root=str(root), ann_file='val.txt', on_error='skip', serialize_data=False)
    assert len(dataset) == 6 and len(dataset.skipped) == 2
    assert 'val.txt, line 7: image file' in dataset.skipped[1]
    assert len(dataset.get_data_info(1)['instances']) == num_good


def write_broken_coco(shapes_root, tmp_path, **bad):
    import json
    import shutil
    root = tmp_path / 'coco'
    shutil.copytree(shapes_root / 'coco', root)
    path = root / 'annotations/instances_val.json'
    content = json.loads(path.read_text())
    content['annotations'][2].update(bad)
    path.write_text(json.dumps(content))
    return tmp_path, content['annotations'][2]['id']


@pytest.mark.parametrize('bad, problem', [
    (dict(bbox=[10, 10, -5, 6]), 'negative or zero size'),
    (dict(bbox=[200, 10, 5, 6]), 'outside the 96x64 image'),
    (dict(category_id=9), 'category_id 9 is not in "categories"'),
    (dict(image_id=99), 'image_id 99 is not in "images"'),
    (dict(area=0), 'area must be a positive number'),
])
def test_coco_dataset_reports_what_mmdet_drops_silently(shapes_root, tmp_path, bad, problem):
    root, ann_id = write_broken_coco(shapes_root, tmp_path, **bad)
    mmdet = coco_val(root, cls=MMDetCocoDataset)
    total = sum(len(mmdet.get_data_info(i)['instances']) for i in range(len(mmdet)))
    reference = coco_val(shapes_root, cls=MMDetCocoDataset)
    assert total == sum(len(reference.get_data_info(i)['instances']) for i in range(6)) - 1
    with pytest.raises(InvalidAnnotationError, match=rf'annotation id {ann_id}\b.*{problem}'):
        coco_val(root)
    skipping = coco_val(root, on_error='skip')
    assert len(skipping.skipped) == 1
    assert [skipping.get_data_info(i)
            for i in range(6)] == [mmdet.get_data_info(i) for i in range(6)]


def test_coco_dataset_reports_a_missing_image(shapes_root, tmp_path):
    root, _ = write_broken_coco(shapes_root, tmp_path)
    (root / 'coco/val/val_000003.jpg').unlink()
    with pytest.raises(InvalidAnnotationError, match=r'image id 4: image file .*val_000003'):
        coco_val(root)
    assert len(coco_val(root, on_error='skip')) == 5


def test_voc_dataset_rejects_the_negative_box_mmdet_keeps(shapes_root, tmp_path):
    import shutil
    shutil.copytree(shapes_root / 'voc', tmp_path / 'voc')
    xml = tmp_path / 'voc/Annotations/val_000000.xml'
    text = xml.read_text()
    start = text.index('<xmin>') + len('<xmin>')
    end = text.index('</xmin>')
    xmax = int(text[text.index('<xmax>') + 6:text.index('</xmax>')])
    xml.write_text(text[:start] + str(xmax + 5) + text[end:])  # xmin > xmax
    root = tmp_path
    mmdet_box = voc_val(root, cls=MMDetVOCDataset).get_data_info(0)['instances'][0]['bbox']
    assert mmdet_box[2] < mmdet_box[0]  # mmdet hands a negative-width box to training
    with pytest.raises(InvalidAnnotationError, match=r"val_000000\.xml: object 0 .*negative"):
        voc_val(root)
    skipping = voc_val(root, on_error='skip')
    assert len(skipping.skipped) == 1
    boxes = np.array([i['bbox'] for i in skipping.get_data_info(0)['instances']])
    assert (boxes[:, 2] > boxes[:, 0]).all()
