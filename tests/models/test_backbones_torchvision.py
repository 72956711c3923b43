"""zoo's backbones compute what torchvision's networks compute, given the same weights."""
import pytest
import torch
import torchvision
from torch import nn

import zoo.models  # noqa: F401  (registers every component)
from zoo.registry import MODELS


def randomise_norm_layers(model: nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm non-trivial affine parameters and running statistics.

    Freshly built networks have weight 1, bias 0, mean 0, variance 1: a network that skipped or
    swapped its norm layers would still match. After this it would not.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)


def make_input() -> torch.Tensor:
    return torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize('tv_name, cfg', [
    ('resnet18', dict(type='ResNet', depth=18)),
    ('resnet50', dict(type='ResNet', depth=50)),
    ('resnext50_32x4d', dict(type='ResNeXt', depth=50, groups=32, width_per_group=4)),
])
def test_resnet_equals_torchvision(tv_name, cfg):
    torch.manual_seed(0)
    tv_model = getattr(torchvision.models, tv_name)(weights=None)
    randomise_norm_layers(tv_model)
    tv_model.eval()
    tv_state = {k: v for k, v in tv_model.state_dict().items() if not k.startswith('fc.')}

    model = MODELS.build(dict(cfg, out_indices=(0, 1, 2, 3)))
    assert list(model.state_dict()) == list(tv_state), 'state-dict keys differ from torchvision'
    model.load_state_dict(tv_state, strict=True)
    model.eval()

    x = make_input()
    with torch.no_grad():
        outs = model(x)
        # torchvision's features level by level, then its pooled features.
        feat = tv_model.maxpool(tv_model.relu(tv_model.bn1(tv_model.conv1(x))))
        for i, out in enumerate(outs):
            feat = getattr(tv_model, f'layer{i + 1}')(feat)
            assert out.shape == feat.shape
            assert (out - feat).abs().max() <= 1e-4, f'layer{i + 1} differs'
        tv_model.fc = nn.Identity()
        tv_pooled = tv_model(x)
    pooled = outs[-1].mean(dim=(2, 3))
    assert (pooled - tv_pooled).abs().max() <= 1e-4


@pytest.mark.parametrize(
    'tv_features, cfg', [
        (lambda: torchvision.models.alexnet(weights=None).features, dict(type='AlexNet')),
        (lambda: torchvision.models.vgg.make_layers(
            torchvision.models.vgg.cfgs['A'], batch_norm=True),
         dict(type='VGG', depth=11, norm_cfg=dict(type='BN'))),
    ],
    ids=['alexnet', 'vgg11_bn'])
def test_plain_networks_equal_torchvision_features(tv_features, cfg):
    """The stages, flattened, hold torchvision's ``features`` layers in order."""
    torch.manual_seed(0)
    features = tv_features()
    randomise_norm_layers(features)
    features.eval()
    model = MODELS.build(cfg).eval()

    tv_state, state = features.state_dict(), model.state_dict()
    assert [v.shape for v in state.values()] == [v.shape for v in tv_state.values()]
    model.load_state_dict(dict(zip(state, tv_state.values())), strict=True)
    x = make_input()
    with torch.no_grad():
        out, = model(x)
        expected = features(x)
    assert out.shape == expected.shape
    assert (out - expected).abs().max() <= 1e-4
