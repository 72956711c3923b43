"""The model configs build the published architectures: parameter counts equal torchvision's.

The figures are torchvision's published ones (its weight metadata ``_meta['num_params']``, see
REFERENCE_FIGURES.md), written as literals and also recomputed from torchvision's own model.
Models are built on the ``meta`` device: no memory, no random initialisation, so the whole file
runs in seconds; the meta forward still checks that backbone, neck and head shapes fit.
"""
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.config import Config

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import count_parameters
from zoo.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'models'

# config name -> (torchvision builder, published parameter count)
PUBLISHED = {
    'alexnet': ('alexnet', 61_100_840),
    'vgg11': ('vgg11', 132_863_336),
    'vgg13': ('vgg13', 133_047_848),
    'vgg16': ('vgg16', 138_357_544),
    'vgg19': ('vgg19', 143_667_240),
    'vgg11bn': ('vgg11_bn', 132_868_840),
    'vgg13bn': ('vgg13_bn', 133_053_736),
    'vgg16bn': ('vgg16_bn', 138_365_992),
    'vgg19bn': ('vgg19_bn', 143_678_248),
    'resnet18': ('resnet18', 11_689_512),
    'resnet34': ('resnet34', 21_797_672),
    'resnet50': ('resnet50', 25_557_032),
    'resnet101': ('resnet101', 44_549_160),
    'resnet152': ('resnet152', 60_192_808),
    'resnext50-32x4d': ('resnext50_32x4d', 25_028_904),
    'resnext101-32x8d': ('resnext101_32x8d', 88_791_336),
    'mobilenet-v2': ('mobilenet_v2', 3_504_872),
    'mobilenet-v3-small': ('mobilenet_v3_small', 2_542_856),
    'mobilenet-v3-large': ('mobilenet_v3_large', 5_483_032),
    'vit-base-p16': ('vit_b_16', 86_567_656),
    'vit-large-p16': ('vit_l_16', 304_326_632),
    'swin-tiny': ('swin_t', 28_288_354),
    'swin-small': ('swin_s', 49_606_258),
    'swin-base': ('swin_b', 87_768_224),
}
# LeNet-5 has no torchvision model: 156 + 2,416 + 48,120 (convs) + 10,164 + 850 (linears).
LENET5_PARAMS = 61_706
# ResNet-18 with the CIFAR stem and 10 classes: mmpretrain's resnet18_8xb16_cifar10 publishes
# 11.17 M (torchvision's ResNet-18 - 7x7 stem conv + 3x3 stem conv - fc(1000) + fc(10)).
RESNET18_CIFAR_PARAMS = 11_689_512 - 7 * 7 * 3 * 64 + 3 * 3 * 3 * 64 - 513_000 + 5_130

# GoogLeNet: torchvision publishes 6,624,904 without the auxiliary classifiers; each auxiliary
# is a 1x1 conv to 128 (+ BN), fc 2048 -> 1024 and fc 1024 -> 1000.
GOOGLENET_PARAMS = 6_624_904
GOOGLENET_AUX_PARAMS = sum(c * 128 + 2 * 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
                           for c in (512, 528))


def resnet50_plus(per_block) -> int:
    """torchvision's ResNet-50 plus ``per_block(C)`` parameters in each of its 16 bottlenecks
    (C: the bottleneck's output channels)."""
    return 25_557_032 + sum(n * per_block(c) for n, c in zip((3, 4, 6, 3), (256, 512, 1024, 2048)))


def mobilenet_v1_params() -> int:
    """The paper's Table 1 with BatchNorm: stem conv, 13 depthwise-separable blocks, fc."""
    widths = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    total = 3 * 3 * 3 * 32 + 2 * 32
    for cin, cout in zip(widths, widths[1:]):
        total += 3 * 3 * cin + 2 * cin + cin * cout + 2 * cout
    return total + 1024 * 1000 + 1000


def vit_params(dims: int, layers: int, hidden: int, patch: int = 16, grid: int = 14) -> int:
    """ViT: patch conv, class token, position embedding, layers (2 LayerNorms, qkv, proj, FFN),
    final LayerNorm, 1000-class linear head."""
    layer = 2 * 2 * dims + 3 * dims * (dims + 1) + dims * (dims + 1) + 2 * dims * hidden \
        + hidden + dims
    return (3 * patch * patch * dims + dims + dims + (1 + grid * grid) * dims + layers * layer
            + 2 * dims + dims * 1000 + 1000)


# Models torchvision does not have: config name -> (exact count derived from the architecture,
# published figure in millions, its source). The count rounds to the published figure (for
# 28.09 M that is within 0.02%; the paper's "4.2 M" for MobileNetV1 is two digits).
PUBLISHED_ELSEWHERE = {
    # SE: two 1x1 convs with bias, C -> C/16 -> C
    'seresnet50': (resnet50_plus(lambda c: 2 * c * c // 16 + c // 16 + c), 28.09,
                   'mmpretrain seresnet50_8xb32_in1k'),
    # CBAM: the same MLP, and a 7x7 conv 2 -> 1 without bias, with BN
    'cbam-resnet50': (resnet50_plus(lambda c: 2 * c * c // 16 + c // 16 + c + 2 * 49 + 2), 28.09,
                      'CBAM paper, ImageNet-1K results'),
    # SRM: channel-wise fc (2 weights a channel) and BN (2 a channel)
    'srm-resnet50': (resnet50_plus(lambda c: 4 * c), 25.62, 'SRM paper, ImageNet results'),
    'mobilenet-v1': (mobilenet_v1_params(), 4.2, 'MobileNets paper, Table 8'),
    'vit-small-p16': (vit_params(384, 12, 1536), 22.05,
                      'mmpretrain deit-small_pt-4xb256_in1k (DeiT-S is ViT-S/16)'),
}


def build_config_model(name: str, device: str = 'meta') -> torch.nn.Module:
    cfg = Config.fromfile(CONFIG_DIR / f'{name}.py')
    with torch.device(device):
        return MODELS.build(cfg.model)


def test_every_model_config_is_checked():
    names = {path.stem for path in CONFIG_DIR.glob('*.py')}
    assert names == set(PUBLISHED) | {'lenet5', 'resnet18_cifar'} | {'googlenet'} | set(
        PUBLISHED_ELSEWHERE)


@pytest.mark.parametrize('name', sorted(PUBLISHED))
def test_published_parameter_count(name):
    tv_name, published = PUBLISHED[name]
    model = build_config_model(name)
    with torch.device('meta'):
        tv_model = getattr(torchvision.models, tv_name)(weights=None)
    assert count_parameters(tv_model) == published
    assert count_parameters(model) == published

    # Backbone, neck and head fit together at 224 px (shapes only, on the meta device).
    logits = model(torch.empty(2, 3, 224, 224, device='meta'), mode='tensor')
    assert tuple(logits.shape) == (2, 1000)


def test_lenet5_config():
    model = build_config_model('lenet5', device='cpu').eval()
    assert count_parameters(model) == LENET5_PARAMS
    with torch.no_grad():
        logits = model(torch.rand(2, 1, 32, 32), mode='tensor')
    assert logits.shape == (2, 10)


def test_resnet18_cifar_config():
    model = build_config_model('resnet18_cifar', device='cpu').eval()
    assert count_parameters(model) == RESNET18_CIFAR_PARAMS
    assert round(RESNET18_CIFAR_PARAMS / 1e6, 2) == 11.17
    with torch.no_grad():
        logits = model(torch.rand(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 10)


@pytest.mark.parametrize('aux', [False, True], ids=['published', 'with-aux'])
def test_googlenet_parameter_count(aux):
    cfg = Config.fromfile(CONFIG_DIR / 'googlenet.py')
    if not aux:
        cfg.model.backbone.out_indices = (8, )
        cfg.model.head.aux_in_channels = ()
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
        tv_model = torchvision.models.googlenet(weights=None, aux_logits=aux, init_weights=False)
    expected = GOOGLENET_PARAMS + (GOOGLENET_AUX_PARAMS if aux else 0)
    assert count_parameters(tv_model) == expected
    assert count_parameters(model) == expected
    logits = model(torch.empty(2, 3, 224, 224, device='meta'), mode='tensor')
    assert tuple(logits.shape) == (2, 1000)


@pytest.mark.parametrize('name', sorted(PUBLISHED_ELSEWHERE))
def test_parameter_count_published_without_torchvision(name):
    exact, published, source = PUBLISHED_ELSEWHERE[name]
    decimals = len(str(published).split('.')[1])
    assert round(exact / 1e6, decimals) == published, f'the derivation disagrees with {source}'
    model = build_config_model(name)
    assert count_parameters(model) == exact
    logits = model(torch.empty(2, 3, 224, 224, device='meta'), mode='tensor')
    assert tuple(logits.shape) == (2, 1000)
