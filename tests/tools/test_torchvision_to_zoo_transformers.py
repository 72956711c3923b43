"""tools/model_converters/torchvision_to_zoo.py for ViT, Swin and the ResNet family: the
converted weights give torchvision's logits in the zoo model of the architecture's config.

torchvision's ViT takes only its training size (224 px) and starts with a zero classifier, and
its transformers start with LayerNorms at weight 1, bias 0: here every norm gets random affine
parameters and the classifier random weights, so that a swapped or skipped layer would show.
Every converter is checked key by key and shape by shape on the ``meta`` device (no memory,
no time); the logits of the larger models are compared in the tests marked slow.
"""

import pytest
import torch
import torchvision
from mmengine.config import Config
from torch import nn

from zoo.converters import torchvision_to_zoo as converter
from zoo.models import build_model_from_cfg
from zoo.utils import register_all_modules

ARCHS = [
    'vit_b_16', 'vit_l_16', 'swin_t', 'swin_s', 'swin_b', 'resnet18', 'resnet34', 'resnet50',
    'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d'
]
# torchvision's ViT asserts its image size; the others take small inputs.
INPUT_SIZE = {'vit_b_16': 224, 'vit_l_16': 224, 'swin_t': 224}


def randomise(model: nn.Module, seed: int = 0) -> None:
    """Random affine parameters (and statistics) for every norm, random final classifier."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.LayerNorm, nn.BatchNorm2d)):
                n = module.weight.numel()
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
        classifier = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        classifier.weight.copy_(torch.randn(classifier.weight.shape, generator=generator) * 0.02)


def check_logits(arch: str) -> None:
    torch.manual_seed(0)
    tv_model = getattr(torchvision.models, arch)(weights=None)
    randomise(tv_model)
    tv_model.eval()
    register_all_modules()
    model = build_model_from_cfg(Config.fromfile(converter.CONFIGS[arch]))
    model.load_state_dict(converter.convert(arch, tv_model.state_dict()), strict=True)
    model.eval()
    size = INPUT_SIZE.get(arch, 64)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, logits = tv_model(x), model(x, mode='tensor')
    assert logits.shape == expected.shape == (2, 1000)
    assert expected.abs().max() > 1e-2, 'degenerate logits would prove nothing'
    assert (logits - expected).abs().max() <= 1e-4


@pytest.mark.parametrize('arch', ARCHS)
def test_keys_and_shapes_convert(arch):
    """``convert`` itself checks every key and shape against the zoo model of the config."""
    with torch.device('meta'):
        state = getattr(torchvision.models, arch)(weights=None).state_dict()
    converted = converter.convert(arch, state)
    assert len(converted) == len(state)


@pytest.mark.parametrize('arch', ['vit_b_16', 'swin_t'])
def test_converted_transformers_give_torchvision_logits(arch):
    check_logits(arch)


@pytest.mark.slow
@pytest.mark.parametrize(
    'arch',
    ['swin_s', 'swin_b', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext101_32x8d'])
def test_converted_large_models_give_torchvision_logits(arch):
    check_logits(arch)


@pytest.mark.parametrize(
    'arch, source, error, message',
    [
        ('swin_t', 'swin_s', KeyError, r'not a torchvision swin_t.*missing \(.*unexpected'),
        ('vit_b_16', 'swin_t', KeyError, r'not a torchvision vit_b_16.*missing \(.*unexpected'),
        # same keys, other widths
        ('swin_b', 'swin_s', ValueError, r'shapes differ for backbone\.patch_embed'),
    ])
def test_checkpoint_of_another_architecture_is_refused(arch, source, error, message):
    with torch.device('meta'):
        state = getattr(torchvision.models, source)(weights=None).state_dict()
    with pytest.raises(error, match=message):
        converter.convert(arch, state)
