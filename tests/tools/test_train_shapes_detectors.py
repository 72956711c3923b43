"""tools/analysis_tools/train_shapes_detectors.py, shortened: its RetinaNet and Faster R-CNN
configs (zoo ResNet-18 + zoo FPN) train with the stock Runner on a tiny generated shapes set,
the loss falls, and the final model is tested with pycocotools' mAP."""
import importlib
import json
import uuid

import pytest

from tests.conftest import REPO_ROOT
from zoo.det.synthetic import make_shapes_dataset

pytestmark = pytest.mark.slow  # about 20 s a detector

tool = importlib.import_module('tools.analysis_tools.train_shapes_detectors')


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp('shapes') / 'shapes'
    make_shapes_dataset(str(out), num_train=8, num_val=4, img_size=128, seed=0)
    return str(out / 'coco') + '/'


def logged_losses(work_dir) -> list:
    (scalars, ) = work_dir.glob('*/vis_data/scalars.json')
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    return [row['loss'] for row in rows if 'loss' in row]


@pytest.mark.parametrize('config', tool.DEFAULT_CONFIGS)
def test_detector_loss_falls_and_model_is_evaluated(config, shapes_root, tmp_path):
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
    overrides = {
        'train_dataloader':
        dict(**loader, dataset=dict(data_root=shapes_root)),
        'test_dataloader':
        dict(**loader, dataset=dict(data_root=shapes_root)),
        'test_evaluator.ann_file':
        shapes_root + 'annotations/instances_val.json',
        # the 8 images 12 times (24 iterations): the config's optimiser and schedule, with the
        # warm-up cut from 100 iterations to 12
        'train_cfg.max_epochs':
        12,
        'param_scheduler': [
            dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=12),
            dict(
                type='CosineAnnealingLR',
                by_epoch=True,
                begin=0,
                end=12,
                eta_min=1e-5,
                convert_to_iter_based=True)
        ],
        'default_hooks.logger.interval':
        1,
        'randomness':
        dict(seed=0),
        'experiment_name':
        f'shapes_{uuid.uuid4().hex[:8]}',
    }
    result = tool.train_and_test(str(REPO_ROOT / config), tmp_path, overrides)

    losses = logged_losses(tmp_path / (REPO_ROOT / config).stem)
    assert len(losses) == 24
    first, last = sum(losses[:4]) / 4, sum(losses[-4:]) / 4
    assert last < 0.85 * first, ' '.join(f'{loss:.3f}' for loss in losses)
    assert result['epochs'] == 12 and result['train_images'] == 8
    assert 0 <= result['mAP'] <= result['mAP_50'] <= 1
    assert list((tmp_path / (REPO_ROOT / config).stem).glob('epoch_12.pth'))
