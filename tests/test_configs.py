"""Every shipped config loads, follows OpenMMLab naming, and builds its model, data set
pipeline, optim_wrapper (the config's own: optimizer, constructor, paramwise_cfg) and schedulers
through the registries; every ``custom_keys`` entry of it matches a parameter of the model."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

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


def dead_custom_keys(model: nn.Module, optim_wrapper_cfg: dict) -> list:
    """``paramwise_cfg.custom_keys`` that match no parameter, as MMEngine's constructors match
    them (the key is a substring of ``.<full parameter name>``): they change nothing, so they
    are a typo or a recipe written for another model."""
    custom_keys = optim_wrapper_cfg.get('paramwise_cfg', {}).get('custom_keys', {})
    names = [f'.{name}' for name, _ in model.named_parameters()]
    return [key for key in custom_keys if not any(key in name for name in names)]


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
    dead = dead_custom_keys(model, cfg.optim_wrapper)
    assert not dead, f'{config_id(path)}: custom_keys {dead} match no parameter of the model'
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(optim_wrapper.optimizer, torch.optim.Optimizer)
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) \
        else [cfg.param_scheduler]
    for scheduler in schedulers:
        scheduler = dict(scheduler, optimizer=optim_wrapper)
        if scheduler.pop('convert_to_iter_based', False):
            scheduler['by_epoch'] = False
        PARAM_SCHEDULERS.build(scheduler)


def test_every_family_folder_has_configs():
    families = {p.parent.name for p in CONFIGS}
    assert {'lenet', 'resnet'} <= families


def test_a_dead_custom_key_is_found():
    model = nn.Sequential(nn.Conv2d(3, 8, 1), nn.BatchNorm2d(8))
    cfg = dict(
        paramwise_cfg=dict(
            custom_keys={
                '.absolute_pos_embed': dict(decay_mult=0.),
                '0.weight': dict(lr_mult=0.1),
                '.1': dict(decay_mult=0.)
            }))
    assert dead_custom_keys(model, cfg) == ['.absolute_pos_embed']
