"""zoo's detection configs in mmdet's own ``DetInferencer`` and in ``tools/demo/image_demo.py``,
on a generated shapes image, with random weights saved as a Runner-style checkpoint.

Needs mmcv's compiled ops (mmdet.models): run with ``~/.cache/zoo/full-venv``."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT, run_tool

pytest.importorskip(
    'mmcv.ops', reason='mmdet.models needs mmcv with compiled ops', exc_type=ImportError)

# config -> test_cfg overrides: a random YOLOv1's confidences stay below its 0.005 threshold.
CONFIGS = {
    'yolov1/yolov1_r18_1xb8-30e_shapes.py': dict(score_thr=0.0),
    'retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py': {}
}


@pytest.fixture(scope='module')
def shapes_image(tmp_path_factory) -> Path:
    from zoo.det.synthetic import generate_shapes
    _, sample = next(iter(generate_shapes('val', 1, img_size=256, seed=3)))
    path = tmp_path_factory.mktemp('shapes') / 'shapes.jpg'
    cv2.imwrite(str(path), sample.image)
    return path


def random_checkpoint(config: str, path: Path) -> Path:
    """Random weights (PyTorch's default initialisation) with the shapes classes in the meta,
    as the Runner saves them."""
    from zoo.apis import get_model
    from zoo.det.synthetic import SHAPE_CLASSES
    torch.manual_seed(0)
    model = get_model(str(REPO_ROOT / 'configs' / config))
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=list(SHAPE_CLASSES)))), path)
    return path


@pytest.mark.parametrize('config', list(CONFIGS))
def test_zoo_detection_configs_run_in_mmdet_det_inferencer(config, shapes_image, tmp_path):
    from mmdet.apis import DetInferencer
    from mmengine.config import Config
    checkpoint = random_checkpoint(config, tmp_path / 'model.pth')
    cfg = Config.fromfile(REPO_ROOT / 'configs' / config)
    cfg.model.test_cfg.update(CONFIGS[config])
    inferencer = DetInferencer(
        model=cfg, weights=str(checkpoint), device='cpu', show_progress=False)
    assert type(inferencer.model.backbone).__module__.startswith('zoo.')
    assert list(inferencer.model.dataset_meta['classes']) == ['rectangle', 'ellipse', 'triangle']
    results = inferencer(
        str(shapes_image), out_dir=str(tmp_path / 'out'), no_save_pred=False, pred_score_thr=0.0)
    (pred, ) = results['predictions']
    boxes = np.array(pred['bboxes'])
    assert len(boxes) > 0 and boxes.shape[1] == 4
    assert set(pred['labels']) <= {0, 1, 2}
    assert (boxes >= 0).all() and (boxes[:, 2:] <= 256 + 1e-3).all()  # original image pixels
    saved = json.loads((tmp_path / 'out' / 'preds' / 'shapes.json').read_text())
    assert saved['labels'] == pred['labels']
    picture = cv2.imread(str(tmp_path / 'out' / 'vis' / 'shapes.jpg'))
    assert picture.shape == (256, 256, 3)
    assert np.abs(picture.astype(int) - cv2.imread(str(shapes_image)).astype(int)).max() > 100


@pytest.mark.slow
def test_image_demo_takes_a_detection_config(shapes_image, tmp_path):
    config = 'retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py'
    checkpoint = random_checkpoint(config, tmp_path / 'model.pth')
    result = run_tool('tools/demo/image_demo.py', str(shapes_image), f'configs/{config}',
                      '--checkpoint', str(checkpoint), '--score-thr', '0', '--out-dir',
                      str(tmp_path / 'demo'))
    assert f'{shapes_image}: ' in result.stdout and 'boxes with score >= 0.0' in result.stdout
    assert (tmp_path / 'demo' / 'vis' / 'shapes.jpg').is_file()
