"""torchvision_counterpart names torchvision's model of the config's architecture: the one the
benchmark times beside the zoo model, so a wrong name compares against another network."""
import pytest
import torch
import torchvision
from mmengine.config import Config

from tests.conftest import REPO_ROOT
from zoo.analysis.torchvision_counterpart import torchvision_counterpart, torchvision_regularisation
from zoo.models.backbones import count_parameters
from zoo.registry import MODELS
from zoo.utils.metafile import load_all_metafiles

METAFILE_MODELS = load_all_metafiles(REPO_ROOT / 'configs')


@pytest.mark.parametrize('name', sorted(METAFILE_MODELS))
def test_counterpart_of_every_metafile_config_is_its_torchvision_block(name):
    entry = METAFILE_MODELS[name]
    expected = entry.torchvision.name if entry.torchvision else None
    assert torchvision_counterpart(Config.fromfile(entry.config).model) == expected


@pytest.mark.parametrize('name', sorted(n for n, e in METAFILE_MODELS.items() if e.torchvision))
def test_counterpart_builds_with_the_configs_regularisation(name):
    # torchvision's swin_t/s/b fix their stochastic depth and refuse another value
    model_cfg = Config.fromfile(METAFILE_MODELS[name].config).model
    with torch.device('meta'):
        model = torchvision.models.get_model(
            torchvision_counterpart(model_cfg),
            weights=None,
            **torchvision_regularisation(model_cfg))
    dropout = model_cfg.backbone.get('drop_rate', 0.0)
    if hasattr(model, 'encoder'):  # ViT: the config's dropout
        assert model.encoder.dropout.p == dropout


def classifier(backbone: dict, in_channels: int) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=in_channels))


@pytest.mark.parametrize('backbone, in_channels, expected', [
    (dict(type='ResNet', depth=50, width_per_group=128), 2048, 'wide_resnet50_2'),
    (dict(type='ResNet', depth=101, width_per_group=128), 2048, 'wide_resnet101_2'),
])
def test_wide_resnet_maps_to_torchvision_wide_resnet(backbone, in_channels, expected):
    model_cfg = classifier(backbone, in_channels)
    assert torchvision_counterpart(model_cfg) == expected
    with torch.device('meta'):  # the same network: the same parameter count
        zoo_model = MODELS.build(model_cfg)
        tv_model = torchvision.models.get_model(expected, weights=None)
    assert count_parameters(zoo_model) == count_parameters(tv_model)


def test_resnet_of_another_width_has_no_counterpart():
    assert torchvision_counterpart(
        classifier(dict(type='ResNet', depth=50, width_per_group=96), 2048)) is None


@pytest.mark.parametrize(
    'backbone, expected',
    [
        (dict(type='zoo.VisionTransformer'), 'vit_b_16'),  # the class's default arch is 'b'
        (dict(type='SwinTransformer'), 'swin_t'),  # 'tiny'
        (dict(type='SwinTransformer', arch='base'), 'swin_b'),
        (dict(type='VisionTransformer', arch='s'), None),  # torchvision has no ViT-S
        (dict(
            type='VisionTransformer',
            arch=dict(embed_dims=768, num_layers=12, num_heads=12,
                      feedforward_channels=3072)), None),
    ])
def test_transformers_without_arch_take_the_class_default(backbone, expected):
    assert torchvision_counterpart(dict(backbone=backbone)) == expected
