"""YOLOv1 and RetinaNet export end to end (normalisation, box decoding, score threshold, top-k
and per-class NMS in the graph): on shapes images onnxruntime's boxes match the PyTorch
model's predictions (mmdet's ``predict`` with mmcv's NMS) within 1e-3, with equal labels.

Random weights (PyTorch's default initialisation: spread scores, thousands of candidates).
Needs mmcv's compiled ops (mmdet.models): run with ``~/.cache/zoo/full-venv``."""
import numpy as np
import onnx
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from tests.conftest import REPO_ROOT
from zoo.deployment.verify import run_onnx

pytest.importorskip(
    'mmcv.ops', reason='mmdet.models needs mmcv with compiled ops', exc_type=ImportError)

# config -> model overrides: a random YOLOv1's class-specific confidences (products of two
# near-zero linear outputs) stay below its 0.005 threshold, so it keeps every positive one.
CONFIGS = {
    'yolov1/yolov1_r18_1xb8-30e_shapes.py': dict(test_cfg=dict(score_thr=0.0)),
    'retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py': {}
}


@pytest.fixture(scope='module')
def shapes_images(tmp_path_factory) -> list:
    import cv2

    from zoo.det.synthetic import generate_shapes
    root = tmp_path_factory.mktemp('shapes')
    paths = []
    for name, sample in generate_shapes('val', 3, img_size=256, seed=5):
        path = root / f'{name}.jpg'
        cv2.imwrite(str(path), sample.image)
        paths.append(str(path))
    return paths


def pytorch_predictions(model, path: str):
    """The detector's own test pipeline (without annotations) and ``test_step``."""
    from zoo.apis import get_test_pipeline
    pipeline = [t for t in get_test_pipeline(model.cfg) if t['type'] != 'LoadAnnotations']
    with DefaultScope.overwrite_default_scope('mmdet'):
        data = Compose(pipeline)(dict(img_path=path, img_id=0))
        with torch.no_grad():
            (sample, ) = model.test_step(pseudo_collate([data]))
    return data, sample.pred_instances


@pytest.mark.parametrize('config', list(CONFIGS))
def test_onnx_detections_match_pytorch(config, shapes_images, tmp_path):
    from zoo.apis import get_model
    from zoo.deployment import export_model
    torch.manual_seed(0)
    model = get_model(str(REPO_ROOT / 'configs' / config), **CONFIGS[config])
    onnx_file = str(tmp_path / 'det.onnx')
    example = export_model(model, onnx_file)
    ops = {node.op_type for node in onnx.load(onnx_file).graph.node}
    assert {'NonMaxSuppression', 'TopK'} <= ops

    total = 0
    for path in shapes_images:
        data, expected = pytorch_predictions(model, path)
        pixels = data['inputs'].flip(0).float()[None]  # BGR uint8 -> the graph's RGB float
        assert tuple(pixels.shape) == tuple(example.shape)
        boxes, scores, labels = run_onnx(onnx_file, pixels.numpy())
        scale = np.array(data['data_samples'].metainfo['scale_factor'] * 2, dtype=np.float32)
        assert len(labels) == len(expected.labels) > 0, path
        np.testing.assert_array_equal(labels, expected.labels.numpy())
        np.testing.assert_allclose(scores, expected.scores.numpy(), atol=1e-4)
        np.testing.assert_allclose(boxes / scale, expected.bboxes.numpy(), atol=1e-3)
        total += len(labels)
    assert total > 10


def test_a_two_stage_detector_is_refused_by_name():
    from zoo.apis import get_model
    from zoo.deployment import ExportError, export_model
    model = get_model(str(REPO_ROOT / 'configs/faster_rcnn/faster-rcnn_r18_fpn_1xb8-4e_shapes.py'))
    with pytest.raises(
            ExportError,
            match='FasterRCNN: only image classifiers and the dense '
            'detectors RetinaNet and YOLOv1 export'):
        export_model(model, 'unused.onnx')
