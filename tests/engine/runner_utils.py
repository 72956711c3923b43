"""A tiny but real training set-up for the engine tests: LeNet-5 with BatchNorm on a generated
folder of 32x32 images, run in-process by MMEngine's stock Runner with zoo's default runtime."""
import json
import uuid
from pathlib import Path
from typing import List

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.conftest import REPO_ROOT, make_image_folder
from zoo.models import build_model_from_cfg

NUM_CLASSES = 3


def tiny_data(root: Path, per_class: int = 2) -> Path:
    """``3 * per_class`` images: with batch 2, ``1.5 * per_class`` iterations an epoch."""
    return make_image_folder(root, num_classes=NUM_CLASSES, per_class=per_class)


def tiny_cfg(work_dir: Path, data_root: Path, max_epochs: int = 3, **overrides) -> Config:
    """A complete training config; ``overrides`` are merged with ``Config.merge_from_dict``."""
    cfg = Config.fromfile(REPO_ROOT / 'configs' / '_base_' / 'default_runtime.py')
    cfg.merge_from_dict(
        dict(
            model=dict(
                type='ImageClassifier',
                backbone=dict(type='LeNet5', in_channels=1, norm_cfg=dict(type='BN')),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(
                    type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=120, topk=(1, )),
                data_preprocessor=dict(mean=[128.0], std=[64.0])),
            train_dataloader=dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                dataset=dict(
                    type='CustomDataset',
                    data_root=str(data_root),
                    pipeline=[
                        dict(type='LoadImageFromFile', color_type='grayscale'),
                        dict(type='PackClsInputs')
                    ])),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
            optim_wrapper=dict(
                optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.01)),
            param_scheduler=[],
            default_hooks=dict(logger=dict(interval=1), checkpoint=dict(interval=1)),
            randomness=dict(seed=0),
            log_level='WARNING',
            work_dir=str(work_dir),
            # unique: Runners in one process share loggers and visualizers by experiment name
            experiment_name=f'{Path(work_dir).name}_{uuid.uuid4().hex[:8]}',
        ))
    cfg.merge_from_dict(overrides)
    return cfg


def train(cfg: Config) -> Runner:
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def logged(work_dir: Path, key: str) -> List[float]:
    """The values of ``key`` the LoggerHook wrote, one per iteration (logger interval 1)."""
    scalars, = Path(work_dir).glob('*/vis_data/scalars.json')
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    rows = [row for row in rows if key in row]
    assert [row['iter'] for row in rows] == list(range(1, len(rows) + 1))
    return [row[key] for row in rows]


def state_dict(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def initial_checkpoint(cfg: Config, path: Path) -> dict:
    """Write the weights a run starts from (``load_from``) and return them."""
    torch.manual_seed(0)
    model = build_model_from_cfg(cfg)
    model.init_weights()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    torch.save({'state_dict': weights}, path)
    return weights


def backbone_keys(weights: dict) -> List[str]:
    return [k for k in weights if k.startswith('backbone.')]


def assert_same(a: dict, b: dict, keys) -> None:
    """Bit for bit."""
    for key in keys:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


def changed(a: dict, b: dict, keys) -> List[str]:
    return [key for key in keys if not torch.equal(a[key], b[key])]
