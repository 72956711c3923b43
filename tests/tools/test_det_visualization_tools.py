"""The detection picture tools as a user runs them (they need mmdet, hence compiled mmcv
ops): browse_dataset.py on a shapes config, pr_curve.py on shapes detections."""
import contextlib
import io
import json
import re

import cv2
import numpy as np
import pytest

from tests.conftest import run_tool
from tests.visualization.detections import imperfect_detections

SHAPES_CONFIG = 'configs/retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py'


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    from zoo.det.synthetic import make_shapes_dataset
    out = tmp_path_factory.mktemp('shapes') / 'shapes'
    make_shapes_dataset(str(out), num_train=4, num_val=40, img_size=128)
    ann_file = out / 'coco' / 'annotations' / 'instances_val.json'
    results = out / 'detections.bbox.json'
    results.write_text(json.dumps(imperfect_detections(ann_file)))
    return out, ann_file, results


def test_browse_dataset_draws_the_boxes_after_the_pipeline(shapes, tmp_path):
    out, _, _ = shapes
    out_dir = tmp_path / 'browse'
    # the val pipeline (no random flip): boxes are the annotations scaled by 160 / 128
    run_tool('tools/visualization/browse_dataset.py', SHAPES_CONFIG, '--output-dir', str(out_dir),
             '--phase', 'val', '--show-number', '2', '--cfg-options',
             f'val_dataloader.dataset.data_root={out}/coco/')
    gt = json.loads((out / 'coco/annotations/instances_val.json').read_text())
    for image in gt['images'][:2]:
        name = image['file_name'].rsplit('.', 1)[0].split('/')[-1]
        pixels = cv2.imread(str(out_dir / f'{name}.png')).astype(int)
        assert pixels.shape == (160, 160, 3)
        raw = cv2.resize(
            cv2.imread(str(out / 'coco' / 'val' / image['file_name'].split('/')[-1])),
            (160, 160)).astype(int)
        changed = np.abs(pixels - raw).max(axis=2) > 40
        for ann in (a for a in gt['annotations'] if a['image_id'] == image['id']):
            x, y, w, h = (v * 160 / 128 for v in ann['bbox'])
            x0, y0, x1, y1 = (int(round(v)) for v in (x, y, x + w, y + h))
            # the box's left and bottom edges are drawn (the label text covers the top)
            left = changed[y0 + 2:y1 - 2, max(x0 - 1, 0):x0 + 2].any(axis=1).mean()
            bottom = changed[max(y1 - 2, 0):y1 + 1, x0 + 2:x1 - 2].any(axis=0).mean()
            assert left > 0.8 and bottom > 0.8, (name, ann['bbox'], left, bottom)
        assert changed.mean() < 0.5  # boxes and labels, not a repainted image


@pytest.mark.parametrize('evaluation', ['coco', 'voc'])
def test_pr_curve_tool(shapes, tmp_path, evaluation):
    _, ann_file, results = shapes
    out = tmp_path / 'pr.png'
    result = run_tool('tools/analysis_tools/pr_curve.py', str(ann_file), str(results), '--out',
                      str(out), '--eval', evaluation)
    aps = dict(re.findall(r'^\s*(\w+) \| AP (\d\.\d{4})$', result.stdout, re.M))
    assert set(aps) == {'rectangle', 'ellipse', 'triangle', 'mean'}
    if evaluation == 'coco':
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(ann_file))
            check = COCOeval(coco, coco.loadRes(str(results)), 'bbox')
            check.evaluate(), check.accumulate(), check.summarize()
        assert float(aps['mean']) == pytest.approx(check.stats[1], abs=1e-4)
    pixels = cv2.imread(str(out))
    assert pixels.shape == (360, 1600, 3)


@pytest.mark.slow  # a fresh interpreter for an error message
def test_pr_curve_tool_names_a_detection_of_an_unknown_class(shapes, tmp_path):
    _, ann_file, results = shapes
    bad = tmp_path / 'bad.json'
    detections = json.loads(results.read_text())
    detections[3]['category_id'] = 99
    bad.write_text(json.dumps(detections))
    result = run_tool(
        'tools/analysis_tools/pr_curve.py',
        str(ann_file),
        str(bad),
        '--out',
        str(tmp_path / 'x.png'),
        check=False)
    assert result.returncode != 0
    assert 'detection 3 has category 99, not one of' in result.stderr
    assert not (tmp_path / 'x.png').exists()


def voc_test_config(path, voc_root) -> str:
    """A detection config whose test set is the shapes' VOC XML split, as mmdet's VOC configs
    test it: annotations loaded after the image, so VOCMetric finds them in the samples."""
    from zoo.det.synthetic import SHAPE_CLASSES
    path.write_text(f'''
custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)
default_scope = 'mmdet'
test_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='zoo.VOCDataset', data_root='{voc_root}', ann_file='ImageSets/Main/val.txt',
        data_prefix=dict(sub_data_root=''), metainfo=dict(classes={SHAPE_CLASSES!r}),
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='PackDetInputs',
                 meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'instances')),
        ]))
test_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='area')
''')
    return str(path)


@pytest.fixture(scope='module')
def voc_dump(shapes, tmp_path_factory):
    """VOC ground truth (XML) through zoo's VOCDataset, detections (the ground truth jittered,
    some missed, some of the wrong class) dumped as tools/test.py --out dumps them: mmengine's
    DumpResults beside the config's VOCMetric, whose mAP comes with them."""
    import torch
    from mmdet.registry import DATASETS, METRICS
    from mmengine.config import Config
    from mmengine.evaluator import DumpResults, Evaluator
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData

    out, _, _ = shapes
    tmp_path = tmp_path_factory.mktemp('voc_dump')
    config = voc_test_config(tmp_path / 'shapes_voc.py', out / 'voc')
    cfg = Config.fromfile(config)
    init_default_scope('mmdet')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    dump = tmp_path / 'dets.pkl'
    evaluator = Evaluator([METRICS.build(cfg.test_evaluator), DumpResults(str(dump))])
    evaluator.dataset_meta = dataset.metainfo
    rng = np.random.default_rng(0)
    samples = []
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        gt = sample.gt_instances
        keep = rng.random(len(gt)) > 0.1  # misses
        boxes = gt.bboxes.numpy()[keep]
        boxes = boxes + rng.normal(0, 0.06, boxes.shape) * np.tile(boxes[:, 2:] - boxes[:, :2], 2)
        labels = gt.labels.numpy()[keep]
        wrong = rng.random(len(labels)) < 0.2
        labels = np.where(wrong, (labels + 1) % 3, labels)
        scores = np.where(wrong, rng.uniform(0.3, 0.9, len(labels)),
                          rng.uniform(0.5, 1, len(labels)))
        sample.pred_instances = InstanceData(
            bboxes=torch.as_tensor(boxes, dtype=torch.float32),
            scores=torch.as_tensor(scores, dtype=torch.float32),
            labels=torch.as_tensor(labels))
        samples.append(sample)
    for start in range(0, len(samples), 8):
        evaluator.process(samples[start:start + 8])
    voc_map = evaluator.evaluate(len(samples))['pascal_voc/mAP']
    return dict(config=config, dump=dump, mAP=voc_map, samples=len(samples))


def test_pr_curve_tool_from_a_voc_test_dump(voc_dump, tmp_path):
    """The tool's mean AP is VOCMetric's mAP, and every class gets its panel."""
    assert 0.3 < voc_dump['mAP'] < 0.95
    png = tmp_path / 'pr_voc.png'
    result = run_tool('tools/analysis_tools/pr_curve.py', voc_dump['config'], str(voc_dump['dump']),
                      '--eval', 'voc', '--out', str(png))
    aps = dict(re.findall(r'^\s*(\w+) \| AP (\d\.\d{4})$', result.stdout, re.M))
    assert set(aps) == {'rectangle', 'ellipse', 'triangle', 'mean'}
    assert float(aps['mean']) == pytest.approx(voc_dump['mAP'], abs=1e-4)
    assert cv2.imread(str(png)).shape == (360, 1600, 3)


@pytest.mark.slow  # a fresh interpreter for an error message
def test_pr_curve_tool_names_a_dump_of_another_test_set(voc_dump, tmp_path):
    import pickle
    short = tmp_path / 'short.pkl'
    short.write_bytes(pickle.dumps(pickle.loads(voc_dump['dump'].read_bytes())[:-1]))
    result = run_tool(
        'tools/analysis_tools/pr_curve.py',
        voc_dump['config'],
        str(short),
        '--eval',
        'voc',
        '--out',
        str(tmp_path / 'x.png'),
        check=False)
    assert result.returncode != 0
    assert (f'{short} holds {voc_dump["samples"] - 1} samples; the test set of '
            f'{voc_dump["config"]} has') in result.stderr
    assert not (tmp_path / 'x.png').exists()
