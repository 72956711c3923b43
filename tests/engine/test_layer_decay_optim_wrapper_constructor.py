"""LayerDecayOptimWrapperConstructor: every parameter group's lr and weight decay, built from a
config as the Runner builds it."""
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

from tests.conftest import REPO_ROOT
from zoo.registry import MODELS

SCHEDULE = REPO_ROOT / 'configs' / '_base_' / 'schedules' / 'imagenet_bs1024_adamw_layer-decay.py'


@pytest.fixture(autouse=True)
def zoo_scope():
    init_default_scope('zoo')


def resnet18_classifier(**backbone) -> nn.Module:
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18, **backbone),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=5, in_channels=512)))


def settings_by_param(optim_wrapper) -> dict:
    """``{param name: (lr, weight_decay)}``, checking that each parameter is in one group."""
    result = {}
    for group in optim_wrapper.optimizer.param_groups:
        assert len(group['params']) == len(group['param_names'])
        for name in group['param_names']:
            assert name not in result, f'{name} is in two groups'
            result[name] = (group['lr'], group.get('weight_decay'))
    return result


def resnet_depth(name: str) -> int:
    """ResNet-18 by hand: stem 0, layer1..layer4 1..4, everything after the backbone 5."""
    match = re.match(r'backbone\.layer(\d)\.', name)
    return int(match.group(1)) if match else 0 if name.startswith('backbone.') else 5


def test_shipped_config_sets_every_group_of_a_resnet():
    cfg = Config.fromfile(SCHEDULE)
    cfg.optim_wrapper.paramwise_cfg.pop('custom_keys')  # ViT's tokens: a ResNet has none
    model = resnet18_classifier()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper.optimizer).__name__ == 'AdamW'

    base_lr, base_wd = 5e-4 * 1024 / 256, 0.05
    settings = settings_by_param(wrapper)
    names = [name for name, _ in model.named_parameters()]
    assert sorted(settings) == sorted(names)  # every parameter, once
    for name in names:
        is_norm = re.search(r'\.bn\d\.|downsample\.1\.', name) is not None
        no_decay = is_norm or name.endswith('.bias')
        expected = (base_lr * 0.65**(5 - resnet_depth(name)), 0.0 if no_decay else base_wd)
        assert settings[name] == pytest.approx(expected, rel=1e-12), name
    # the stem 0.65**5 x the head
    assert settings['backbone.conv1.weight'][0] == pytest.approx(base_lr * 0.65**5)
    assert settings['head.fc.weight'] == pytest.approx((base_lr, base_wd))


class TinyViT(nn.Module):
    """A ViT-shaped model that says its own depths, the way mmpretrain's ViT does."""

    def __init__(self, num_layers: int = 3, dim: int = 8):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, 4, 4)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 5, dim))
        self.layers = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim)) for _ in range(num_layers))
        self.ln1 = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 2)

    def get_layer_depth(self, param_name: str):
        max_depth = len(self.layers) + 1
        if param_name.startswith(('patch_embed', 'cls_token', 'pos_embed')):
            return 0, max_depth
        if param_name.startswith('layers.'):
            return int(param_name.split('.')[1]) + 1, max_depth
        return max_depth, max_depth


def test_vit_like_model_tokens_embeddings_and_norms():
    model = TinyViT()
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='AdamW', lr=1.0, weight_decay=0.1),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(
                layer_decay_rate=0.5,
                norm_decay_mult=0.0,
                bias_decay_mult=0.0,
                custom_keys={
                    'cls_token': dict(decay_mult=0.0),
                    'pos_embed': dict(decay_mult=0.0, lr_mult=2.0)
                })))
    expected = {
        'patch_embed.weight': (0.5**4, 0.1),
        'patch_embed.bias': (0.5**4, 0.0),
        'cls_token': (0.5**4, 0.0),
        'pos_embed': (2 * 0.5**4, 0.0),  # lr_mult on top of the depth scale
        'ln1.weight': (1.0, 0.0),
        'ln1.bias': (1.0, 0.0),
        'head.weight': (1.0, 0.1),
        'head.bias': (1.0, 0.0),
    }
    for i in range(3):
        scale = 0.5**(3 - i)
        expected.update({
            f'layers.{i}.0.weight': (scale, 0.0),
            f'layers.{i}.0.bias': (scale, 0.0),
            f'layers.{i}.1.weight': (scale, 0.1),
            f'layers.{i}.1.bias': (scale, 0.0)
        })
    settings = settings_by_param(wrapper)
    assert sorted(settings) == sorted(expected)
    for name, value in expected.items():
        assert settings[name] == pytest.approx(value, rel=1e-12), name


def test_zoo_vit_with_the_shipped_config():
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='VisionTransformer',
                img_size=32,
                patch_size=16,
                arch=dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)),
            head=dict(type='LinearClsHead', num_classes=5, in_channels=32)))
    wrapper = build_optim_wrapper(model, Config.fromfile(SCHEDULE).optim_wrapper)
    settings = settings_by_param(wrapper)
    base_lr, rate, max_depth = 2e-3, 0.65, 4  # 3 transformer layers
    norms = {
        f'{name}.{p}'
        for name, m in model.named_modules() if isinstance(m, nn.LayerNorm)
        for p in ('weight', 'bias')
    }
    for name, _ in model.named_parameters():
        depth = model.backbone.get_layer_depth(name[len('backbone.'):]) \
            if name.startswith('backbone.') else (max_depth, max_depth)
        assert depth[1] == max_depth
        no_decay = name in norms or name.endswith(('.bias', 'cls_token', 'pos_embed'))
        assert settings[name] == pytest.approx(
            (base_lr * rate**(max_depth - depth[0]), 0.0 if no_decay else 0.05)), name
    # the patch embedding learns slowest, transformer layer i at rate ** (4 - i), the head at lr
    assert settings['backbone.patch_embed.projection.weight'][0] == pytest.approx(base_lr * rate**4)
    assert settings['backbone.layers.1.attn.qkv.weight'][0] == pytest.approx(base_lr * rate**2)
    assert settings['head.fc.weight'] == pytest.approx((base_lr, 0.05))


def test_flat_decay_and_default_multipliers():
    model = TinyViT(num_layers=1)
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='SGD', lr=0.1, weight_decay=0.01),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=1.0, flat_decay_mult=0.5)))
    settings = settings_by_param(wrapper)
    assert {lr for lr, _ in settings.values()} == {0.1}  # rate 1: no decay
    assert settings['head.bias'] == (0.1, 0.01)  # bias and norm multipliers default to 1
    assert settings['ln1.weight'] == (0.1, 0.01)


def test_frozen_parameters_stay_in_the_optimizer_with_their_settings():
    model = resnet18_classifier(frozen_stages=1)
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.5)))
    settings = settings_by_param(wrapper)
    assert not model.backbone.conv1.weight.requires_grad
    assert settings['backbone.layer1.0.conv1.weight'] == pytest.approx((0.1 * 0.5**4, 1e-4))
    # groups merge parameters with equal settings: a handful of groups, not one per tensor
    assert len(wrapper.optimizer.param_groups) == 6
    assert wrapper.optimizer.param_groups[0]['layer_depth'] == 0


# ---------------------------------------------------------------- bad input
def build(model: nn.Module, **paramwise):
    return build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=paramwise))


@pytest.mark.parametrize('rate', [0, 0.0, -0.5, 1.5, 'high', True])
def test_decay_rate_outside_zero_one_is_named(rate):
    with pytest.raises(
            ValueError,
            match=re.escape(f'layer_decay_rate must be a number in '
                            f'(0, 1], got {rate!r}')):
        build(TinyViT(), layer_decay_rate=rate)


def test_missing_rate_and_unknown_keys_are_named():
    with pytest.raises(ValueError, match='layer_decay_rate is required'):
        build(TinyViT(), norm_decay_mult=0.0)
    with pytest.raises(ValueError, match=r"unknown paramwise_cfg key\(s\) \['layer_decay'\]"):
        build(TinyViT(), layer_decay=0.5)
    with pytest.raises(ValueError, match=r"custom_keys\['cls_token'\] has unknown option"):
        build(TinyViT(), layer_decay_rate=0.5, custom_keys={'cls_token': dict(lr=0.1)})


def test_a_custom_key_matching_no_parameter_is_named():
    # mmpretrain's Swin recipe names '.absolute_pos_embed', which a Swin without it lacks
    with pytest.raises(
            ValueError,
            match=r"custom_keys \['.absolute_pos_embed'\] match no "
            r"parameter of TinyViT"):
        build(
            TinyViT(),
            layer_decay_rate=0.5,
            custom_keys={
                'cls_token': dict(decay_mult=0.0),
                '.absolute_pos_embed': dict(decay_mult=0.0)
            })


def test_decay_multipliers_without_weight_decay_are_refused():
    with pytest.raises(ValueError, match="norm_decay_mult.*weight_decay"):
        build_optim_wrapper(
            TinyViT(),
            dict(
                optimizer=dict(type='SGD', lr=0.1),
                constructor='LayerDecayOptimWrapperConstructor',
                paramwise_cfg=dict(layer_decay_rate=0.5, norm_decay_mult=0.0)))


def test_backbone_without_get_layer_depth_is_named():

    class Classifier(nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3))
            self.head = nn.Linear(4, 2)

    with pytest.raises(
            TypeError,
            match='Classifier has no get_layer_depth.*its backbone '
            'Sequential has none either'):
        build(Classifier(), layer_decay_rate=0.5)


def test_invalid_depths_are_named():

    class Broken(TinyViT):

        def get_layer_depth(self, param_name: str):
            return (7, 4) if param_name == 'head.weight' else super().get_layer_depth(param_name)

    with pytest.raises(
            ValueError, match=r"Broken.get_layer_depth\('head.weight'\) returned "
            r'\(7, 4\)'):
        build(Broken(), layer_decay_rate=0.5)
