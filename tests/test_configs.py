"""Every shipped config loads, follows OpenMMLab naming, and builds its model, data set
pipeline, optimizer and schedulers through the registries."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.conftest import REPO_ROOT
from zoo.models import build_model_from_cfg
from zoo.registry import PARAM_SCHEDULERS, TRANSFORMS

ALL_CONFIGS = sorted(p for p in (REPO_ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts)


def is_detection(path: Path) -> bool:
    """Detection configs are mmdet's (scope 'mmdet'); tests/test_det_configs.py covers them.
    Read without their ``custom_imports`` (``zoo.det`` imports mmdet's compiled ops)."""
    return Config.fromfile(path, import_custom_modules=False).get('default_scope') == 'mmdet'


CONFIGS = [p for p in ALL_CONFIGS if not is_detection(p)]
# {model}_{gpus}xb{batch}[-{tricks}]_{dataset}.py
NAME = re.compile(r'^[a-z0-9.\-]+_\d+xb\d+(-[a-z0-9.\-]+)?_[a-z0-9\-]+\.py$')


def config_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT / 'configs'))


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_builds(path):
    assert NAME.match(path.name), f'{path.name} does not follow {{model}}_{{gpus}}xb{{batch}}' \
        '[-{tricks}]_{dataset}.py'
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'zoo'))
    cfg.model.backbone.pop('init_cfg', None)  # pretrained files are the user's to download
    model = build_model_from_cfg(cfg)
    for transform in cfg.train_dataloader.dataset.pipeline + cfg.test_dataloader.dataset.pipeline:
        TRANSFORMS.build(transform)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) \
        else [cfg.param_scheduler]
    for scheduler in schedulers:
        scheduler = dict(scheduler, optimizer=optimizer)
        if scheduler.pop('convert_to_iter_based', False):
            scheduler['by_epoch'] = False
        PARAM_SCHEDULERS.build(scheduler)


def test_every_family_folder_has_configs():
    families = {p.parent.name for p in CONFIGS}
    assert {'lenet', 'resnet'} <= families
