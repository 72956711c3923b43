"""The model configs have the published FLOPs: multiply-accumulates counted with MMEngine's
complexity analysis (``get_model_complexity_info``, as mmpretrain counts them) within 3% of
mmpretrain's published figure, or of torchvision's (or the paper's) where mmpretrain has none.

MMEngine's counter traces a real forward (it fails on the ``meta`` device), so a 224 px VGG or
ResNet-101/152 costs seconds of CPU: the models above 2 GFLOPs run with the slow tests, the
others by default. The figures are those of ../shared/REFERENCE_FIGURES.md.
"""
import logging
from pathlib import Path

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.logging import MMLogger

import zoo.models  # noqa: F401  (registers every component)
from zoo.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'models'
TOLERANCE = 0.03

# config name -> (published GFLOPs, source); 224 px ImageNet inputs unless the name says CIFAR
PUBLISHED_FLOPS = {
    'alexnet': (0.714, 'torchvision'),
    'vgg11': (7.63, 'mmpretrain'),
    'vgg13': (11.34, 'mmpretrain'),
    'vgg16': (15.50, 'mmpretrain'),
    'vgg19': (19.67, 'mmpretrain'),
    'vgg11bn': (7.64, 'mmpretrain'),
    'vgg13bn': (11.36, 'mmpretrain'),
    'vgg16bn': (15.53, 'mmpretrain'),
    'vgg19bn': (19.70, 'mmpretrain'),
    'resnet18': (1.82, 'mmpretrain'),
    'resnet34': (3.68, 'mmpretrain'),
    'resnet50': (4.12, 'mmpretrain'),
    'resnet101': (7.85, 'mmpretrain'),
    'resnet152': (11.58, 'mmpretrain'),
    'resnet18_cifar': (0.56, 'mmpretrain resnet18_8xb16_cifar10, 32 px'),
    'resnext50-32x4d': (4.27, 'mmpretrain'),
    'resnext101-32x8d': (16.50, 'mmpretrain'),
    'seresnet50': (4.13, 'mmpretrain'),
    'googlenet': (1.498, 'torchvision'),
    'mobilenet-v1': (0.569, 'MobileNets paper, Table 8 (569 M mult-adds)'),
    'mobilenet-v2': (0.319, 'mmpretrain'),
    'mobilenet-v3-small': (0.060, 'mmpretrain'),
    'mobilenet-v3-large': (0.23, 'mmpretrain'),
}
# Model configs without a published figure in this counting, and why.
NOT_PUBLISHED = {
    'lenet5': 'mmpretrain publishes a config only, no metrics',
    'cbam-resnet50': 'the CBAM paper counts FLOPs its own way (3.864 G for 3.858 G ResNet-50)',
    'srm-resnet50': 'the SRM paper counts FLOPs its own way',
    **{
        name: 'test_transformer_flops.py: the published figures count attention differently'
        for name in ('vit-small-p16', 'vit-base-p16', 'vit-large-p16', 'swin-tiny',
                     'swin-small', 'swin-base')
    },
}
SLOW_ABOVE_GFLOPS = 2.0


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
            info = get_model_complexity_info(model, inputs=torch.zeros(1, 3, size, size),
                                             show_table=False, show_arch=False)
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
    pytest.param(name, marks=pytest.mark.slow) if gflops > SLOW_ABOVE_GFLOPS else name
    for name, (gflops, _) in sorted(PUBLISHED_FLOPS.items())
])
def test_published_flops(name):
    published, source = PUBLISHED_FLOPS[name]
    flops = count_flops(name)
    assert abs(flops / published - 1) <= TOLERANCE, \
        f'{name}: {flops:.4f} GFLOPs counted, {published} published by {source}'
