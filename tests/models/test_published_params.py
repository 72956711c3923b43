"""The model configs build the published architectures: parameter counts equal the published
ones, read from where they are published.

- A config with a torchvision counterpart (``torchvision_counterpart``) has its count: the
  weights' metadata of the installed torchvision (``Weights.meta['num_params']``, as
  torchvision's own tests read it), and torchvision's model recomputes it.
- The others have an exact count derived here from the architecture, which rounds to the
  figure of a metafile: the installed mmpretrain's, or zoo's ``configs/*/metafile.yml`` (for
  papers' figures).

Models are built on the ``meta`` device: no memory, no random initialisation, so the whole file
runs in seconds; the meta forward still checks that backbone, neck and head shapes fit.
"""
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.config import Config

import zoo.models  # noqa: F401  (registers every component)
from zoo.analysis.torchvision_counterpart import torchvision_counterpart
from zoo.models.backbones import count_parameters
from zoo.registry import MODELS
from zoo.utils.metafile import load_all_metafiles, load_mmpretrain_metafiles

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / 'configs' / '_base_' / 'models'


def counterpart(name: str):
    return torchvision_counterpart(Config.fromfile(CONFIG_DIR / f'{name}.py').model)


# config name -> torchvision model of the same architecture (GoogLeNet: its own test below)
TORCHVISION = {
    path.stem: counterpart(path.stem)
    for path in sorted(CONFIG_DIR.glob('*.py'))
    if path.stem != 'googlenet' and counterpart(path.stem)
}


def torchvision_params(tv_name: str) -> int:
    """torchvision's published count: its (first) ImageNet weights' metadata."""
    weights = torchvision.models.get_model_weights(tv_name)
    return next(iter(weights)).meta['num_params']


# LeNet-5 has no torchvision model: 156 + 2,416 + 48,120 (convs) + 10,164 + 850 (linears).
LENET5_PARAMS = 61_706
# ResNet-18 with the CIFAR stem and 10 classes (torchvision's ResNet-18 - 7x7 stem conv + 3x3
# stem conv - fc(1000) + fc(10)); mmpretrain's resnet18_8xb16_cifar10 publishes it rounded.
RESNET18_CIFAR_PARAMS = torchvision_params('resnet18') - 7 * 7 * 3 * 64 + 3 * 3 * 3 * 64 \
    - 513_000 + 5_130

# GoogLeNet: torchvision publishes its count without the auxiliary classifiers; each auxiliary
# is a 1x1 conv to 128 (+ BN), fc 2048 -> 1024 and fc 1024 -> 1000.
GOOGLENET_AUX_PARAMS = sum(c * 128 + 2 * 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
                           for c in (512, 528))


def resnet50_plus(per_block) -> int:
    """torchvision's ResNet-50 plus ``per_block(C)`` parameters in each of its 16 bottlenecks
    (C: the bottleneck's output channels)."""
    return torchvision_params('resnet50') + sum(
        n * per_block(c) for n, c in zip((3, 4, 6, 3), (256, 512, 1024, 2048)))


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
    return (3 * patch * patch * dims + dims + dims + (1 + grid * grid) * dims + layers * layer +
            2 * dims + dims * 1000 + 1000)


# Models torchvision does not have: config name -> (exact count derived from the architecture,
# the metafile model whose published figure it rounds to: mmpretrain's or zoo's).
PUBLISHED_ELSEWHERE = {
    # SE: two 1x1 convs with bias, C -> C/16 -> C
    'seresnet50':
    (resnet50_plus(lambda c: 2 * c * c // 16 + c // 16 + c), 'mmpretrain', 'seresnet50_8xb32_in1k'),
    # CBAM: the same MLP, and a 7x7 conv 2 -> 1 without bias, with BN
    'cbam-resnet50': (resnet50_plus(lambda c: 2 * c * c // 16 + c // 16 + c + 2 * 49 + 2), 'zoo',
                      'cbam-resnet50_8xb32_in1k'),
    # SRM: channel-wise fc (2 weights a channel) and BN (2 a channel)
    'srm-resnet50': (resnet50_plus(lambda c: 4 * c), 'zoo', 'srm-resnet50_8xb32_in1k'),
    'mobilenet-v1': (mobilenet_v1_params(), 'zoo', 'mobilenet-v1_8xb32_in1k'),
    # DeiT-S is ViT-S/16
    'vit-small-p16': (vit_params(384, 12, 1536), 'mmpretrain', 'deit-small_4xb256_in1k'),
    'resnet18_cifar': (RESNET18_CIFAR_PARAMS, 'mmpretrain', 'resnet18_8xb16_cifar10'),
}


def rounds_to(exact: int, published: int) -> bool:
    """Whether ``exact`` rounds to ``published`` at the figure's own precision: its trailing
    zeros (mmpretrain's 28.09 M is 28090000, to 10,000; the MobileNets paper's 4.2 M to 100,000;
    an exact figure such as DeiT-S's 22,050,664 must be equal)."""
    unit = 1
    while published % (unit * 10) == 0:
        unit *= 10
    return round(exact / unit) * unit == published


def published_figure(publisher: str, model: str) -> int:
    if publisher == 'mmpretrain':
        return load_mmpretrain_metafiles()[model].params
    return load_all_metafiles(REPO_ROOT / 'configs')[model].published.params


def build_config_model(name: str, device: str = 'meta') -> torch.nn.Module:
    cfg = Config.fromfile(CONFIG_DIR / f'{name}.py')
    with torch.device(device):
        return MODELS.build(cfg.model)


def test_every_model_config_is_checked():
    names = {path.stem for path in CONFIG_DIR.glob('*.py')}
    assert names == set(TORCHVISION) | {'lenet5', 'googlenet'} | set(PUBLISHED_ELSEWHERE)
    assert len(TORCHVISION) >= 20, TORCHVISION


@pytest.mark.parametrize('name', sorted(TORCHVISION))
def test_published_parameter_count(name):
    tv_name = TORCHVISION[name]
    published = torchvision_params(tv_name)
    model = build_config_model(name)
    with torch.device('meta'):
        tv_model = torchvision.models.get_model(tv_name, weights=None)
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
    expected = torchvision_params('googlenet') + (GOOGLENET_AUX_PARAMS if aux else 0)
    assert count_parameters(tv_model) == expected
    assert count_parameters(model) == expected
    logits = model(torch.empty(2, 3, 224, 224, device='meta'), mode='tensor')
    assert tuple(logits.shape) == (2, 1000)


@pytest.mark.parametrize('name', sorted(PUBLISHED_ELSEWHERE))
def test_parameter_count_published_without_torchvision(name):
    exact, publisher, source = PUBLISHED_ELSEWHERE[name]
    published = published_figure(publisher, source)
    assert rounds_to(exact, published), \
        f'the derivation ({exact:,}) disagrees with {publisher} {source} ({published:,})'
    model = build_config_model(name)
    assert count_parameters(model) == exact
    size = 32 if 'cifar' in name else 224
    logits = model(torch.empty(2, 3, size, size, device='meta'), mode='tensor')
    assert tuple(logits.shape) == (2, 10 if 'cifar' in name else 1000)
