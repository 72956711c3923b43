"""The model configs have the published FLOPs: multiply-accumulates counted with MMEngine's
complexity analysis (``get_model_complexity_info``, as mmpretrain counts them) within 3% of
mmpretrain's published figure, or of torchvision's (or the paper's) where mmpretrain has none.

MMEngine's counter traces a real forward (it fails on the ``meta`` device), so a 224 px VGG or
ResNet-101/152 costs seconds of CPU: the models above 2 GFLOPs run with the slow tests, the
others by default. The figures are read from their publishers' metadata, not written here.
"""
import logging
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.logging import MMLogger

import zoo.models  # noqa: F401  (registers every component)
from zoo.registry import MODELS
from zoo.utils.metafile import load_all_metafiles, load_mmpretrain_metafiles

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / 'configs' / '_base_' / 'models'
TOLERANCE = 0.03

# config name -> (publisher, the model whose published FLOPs it has): mmpretrain's installed
# metafiles, torchvision's weights metadata (``_ops``), or zoo's metafiles (papers' figures).
# 224 px ImageNet inputs unless the name says CIFAR (32 px).
PUBLISHED_FLOPS = {
    'alexnet': ('torchvision', 'alexnet'),
    'googlenet': ('torchvision', 'googlenet'),
    'mobilenet-v1': ('zoo', 'mobilenet-v1_8xb32_in1k'),  # the MobileNets paper, Table 8
    'vgg11': ('mmpretrain', 'vgg11_8xb32_in1k'),
    'vgg13': ('mmpretrain', 'vgg13_8xb32_in1k'),
    'vgg16': ('mmpretrain', 'vgg16_8xb32_in1k'),
    'vgg19': ('mmpretrain', 'vgg19_8xb32_in1k'),
    'vgg11bn': ('mmpretrain', 'vgg11bn_8xb32_in1k'),
    'vgg13bn': ('mmpretrain', 'vgg13bn_8xb32_in1k'),
    'vgg16bn': ('mmpretrain', 'vgg16bn_8xb32_in1k'),
    'vgg19bn': ('mmpretrain', 'vgg19bn_8xb32_in1k'),
    'resnet18': ('mmpretrain', 'resnet18_8xb32_in1k'),
    'resnet34': ('mmpretrain', 'resnet34_8xb32_in1k'),
    'resnet50': ('mmpretrain', 'resnet50_8xb32_in1k'),
    'resnet101': ('mmpretrain', 'resnet101_8xb32_in1k'),
    'resnet152': ('mmpretrain', 'resnet152_8xb32_in1k'),
    'resnet18_cifar': ('mmpretrain', 'resnet18_8xb16_cifar10'),
    'resnext50-32x4d': ('mmpretrain', 'resnext50-32x4d_8xb32_in1k'),
    'resnext101-32x8d': ('mmpretrain', 'resnext101-32x8d_8xb32_in1k'),
    'seresnet50': ('mmpretrain', 'seresnet50_8xb32_in1k'),
    'mobilenet-v2': ('mmpretrain', 'mobilenet-v2_8xb32_in1k'),
    'mobilenet-v3-small': ('mmpretrain', 'mobilenet-v3-small_8xb128_in1k'),
    'mobilenet-v3-large': ('mmpretrain', 'mobilenet-v3-large_8xb128_in1k'),
}
# Model configs without a published figure in this counting, and why.
NOT_PUBLISHED = {
    'lenet5': 'mmpretrain publishes a config only, no metrics',
    'cbam-resnet50': 'the CBAM paper counts FLOPs its own way (3.864 G for 3.858 G ResNet-50)',
    'srm-resnet50': 'the SRM paper counts FLOPs its own way',
}
TRANSFORMERS = ('vit-small-p16', 'vit-base-p16', 'vit-large-p16', 'swin-tiny', 'swin-small',
                'swin-base')
NOT_PUBLISHED.update(
    dict.fromkeys(TRANSFORMERS,
                  'test_transformer_flops.py: the published figures count attention differently'))
SLOW_ABOVE_GFLOPS = 2.0


def published_gflops(name: str) -> float:
    """The published GFLOPs of a model config, read from its publisher's metadata."""
    publisher, model = PUBLISHED_FLOPS[name]
    if publisher == 'torchvision':
        weights = torchvision.models.get_model_weights(model)
        return next(iter(weights)).meta['_ops']
    if publisher == 'mmpretrain':
        return load_mmpretrain_metafiles()[model].flops / 1e9
    return load_all_metafiles(REPO_ROOT / 'configs')[model].published.flops / 1e9


def count_flops(name: str) -> float:
    """GFLOPs (multiply-accumulates) of the config's model on one image, in eval mode."""
    model = MODELS.build(Config.fromfile(CONFIG_DIR / f'{name}.py').model).eval()
    size = 32 if 'cifar' in name else 224
    # MMEngine warns once per operator it does not count (ReLU, additions...): expected.
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with torch.no_grad():
            info = get_model_complexity_info(
                model, inputs=torch.zeros(1, 3, size, size), show_table=False, show_arch=False)
    finally:
        logger.setLevel(level)
    return info['flops'] / 1e9


def test_every_model_config_is_checked():
    names = {path.stem for path in CONFIG_DIR.glob('*.py')}
    unchecked = sorted(names - set(PUBLISHED_FLOPS) - set(NOT_PUBLISHED))
    stale = sorted((set(PUBLISHED_FLOPS) | set(NOT_PUBLISHED)) - names)
    assert not unchecked, f'model configs without a FLOPs figure here: {unchecked}'
    assert not stale, f'figures for model configs that do not exist: {stale}'


@pytest.mark.parametrize('name', [
    pytest.param(name, marks=pytest.mark.slow)
    if published_gflops(name) > SLOW_ABOVE_GFLOPS else name for name in sorted(PUBLISHED_FLOPS)
])
def test_published_flops(name):
    published = published_gflops(name)
    flops = count_flops(name)
    assert abs(flops / published - 1) <= TOLERANCE, \
        f'{name}: {flops:.4f} GFLOPs counted, {published} published by {PUBLISHED_FLOPS[name]}'
