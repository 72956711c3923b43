"""MobileNetV1/V2/V3 options beyond the shared backbone contract."""
import pytest
import torch
import torchvision
from torch import nn

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import count_parameters
from zoo.models.layers import InvertedResidual, SELayer
from zoo.registry import MODELS


@pytest.mark.parametrize('size', [96, 128, 160, 193, 224])
def test_mobilenet_v1_takes_any_resolution(size):
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='MobileNetV1', widen_factor=0.25),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=5, in_channels=256))).eval()
    with torch.no_grad():
        feat, = model.backbone(torch.rand(1, 3, size, size))
        logits = model(torch.rand(1, 3, size, size))
    assert feat.shape == (1, 256, -(-size // 32), -(-size // 32))
    assert logits.shape == (1, 5)


@pytest.mark.parametrize('widen_factor, widths', [
    (1.0, (32, 64, 128, 256, 512, 1024)),
    (0.75, (24, 48, 96, 192, 384, 768)),
    (0.5, (16, 32, 64, 128, 256, 512)),
    (0.25, (8, 16, 32, 64, 128, 256)),
])
def test_mobilenet_v1_width_multiplier_gives_the_paper_widths(widen_factor, widths):
    with torch.device('meta'):
        model = MODELS.build(dict(type='MobileNetV1', widen_factor=widen_factor))
    assert (model.conv1[0].out_channels, *model.stage_channels) == widths
    assert all(block.depthwise_conv[0].groups == block.depthwise_conv[0].in_channels
               for block in model.layer4)


@pytest.mark.parametrize('tv_name, cfg', [
    ('mobilenet_v2', dict(type='MobileNetV2', widen_factor=0.5)),
    ('mobilenet_v2', dict(type='MobileNetV2', widen_factor=1.4)),
    ('mobilenet_v3_large', dict(type='MobileNetV3', arch='large', widen_factor=0.75)),
    ('mobilenet_v3_small', dict(type='MobileNetV3', arch='small', widen_factor=1.25)),
])
def test_widen_factor_rounds_as_torchvision(tv_name, cfg):
    with torch.device('meta'):
        tv_features = getattr(torchvision.models, tv_name)(
            weights=None, width_mult=cfg['widen_factor']).features
        model = MODELS.build(cfg)
    assert count_parameters(model) == count_parameters(tv_features)
    assert model.stage_channels[-1] == tv_features[-1][0].out_channels


def test_mobilenet_v3_blocks_use_se_hardsigmoid_and_hardswish_as_the_paper():
    model = MODELS.build(dict(type='MobileNetV3', arch='large'))
    blocks = [m for m in model.modules() if isinstance(m, InvertedResidual)]
    assert len(blocks) == 15
    with_se = [i for i, block in enumerate(blocks) if 'se' in block.layers()]
    assert with_se == [3, 4, 5, 10, 11, 12, 13, 14]
    assert all(isinstance(blocks[i].se.conv2.activate, nn.Hardsigmoid) for i in with_se)
    assert isinstance(blocks[2].depthwise_conv.activate, nn.ReLU)
    assert isinstance(blocks[6].depthwise_conv.activate, nn.Hardswish)
    assert 'expand_conv' not in blocks[0].layers() and 'expand_conv' in blocks[1].layers()
    assert model.layer0.bn.eps == 0.001 and model.layer0.bn.momentum == 0.01


def test_residuals_only_where_stride_and_width_allow():
    model = MODELS.build(dict(type='MobileNetV2'))
    residual = [[block.use_residual for block in getattr(model, f'layer{i}')] for i in range(1, 8)]
    assert residual == [[False], [False, True], [False, True, True], [False, True, True, True],
                        [False, True, True], [False, True, True], [False]]


@pytest.mark.parametrize(
    'cfg',
    [dict(type='MobileNetV1'),
     dict(type='MobileNetV2'),
     dict(type='MobileNetV3', arch='large')])
def test_stem_stride_1_keeps_cifar_resolution(cfg):
    model = MODELS.build(dict(cfg, stem_stride=1, out_indices=0)).eval()
    with torch.no_grad():
        first, = model(torch.rand(1, 3, 32, 32))
    default, = MODELS.build(dict(cfg, out_indices=0)).eval()(torch.rand(1, 3, 32, 32))
    assert first.shape[-1] == 2 * default.shape[-1]


@pytest.mark.parametrize('cfg, match', [
    (dict(type='MobileNetV3', arch='medium'),
     r"arch 'medium' is not one of \['small', 'small_075', 'small_050', 'large'\]"),
    (dict(type='MobileNetV2', widen_factor=0), 'widen_factor must be positive, got 0'),
    (dict(type='MobileNetV1', stem_stride=4), 'stem_stride must be 1 or 2, got 4'),
])
def test_bad_options_name_the_valid_ones(cfg, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)


def test_mobilenet_v3_se_matches_torchvision_widths():
    tv_model = torchvision.models.mobilenet_v3_small(weights=None)
    tv_se = [
        m.fc1.out_channels for m in tv_model.modules() if type(m).__name__ == 'SqueezeExcitation'
    ]
    model = MODELS.build(dict(type='MobileNetV3', arch='small'))
    assert [m.conv1.conv.out_channels for m in model.modules() if isinstance(m, SELayer)] == tv_se
