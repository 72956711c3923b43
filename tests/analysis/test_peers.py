"""zoo.analysis.peers names and builds the peers' models the report compares with: a wrong name
would compare against another network, so each is checked against the zoo model.

Models are built on the ``meta`` device (no memory, no initialisation) where only their size is
needed.
"""
import pytest
import timm
import torch
import torchvision
from mmengine.config import Config

from tests.conftest import REPO_ROOT
from zoo.analysis.peers import (TIMM_MODELS, build_mmpretrain, build_timm, mmpretrain_config,
                                torchvision_meta, zoo_state_dict)
from zoo.models import build_model_from_cfg
from zoo.models.backbones import count_parameters
from zoo.utils import register_all_modules
from zoo.utils.metafile import load_all_metafiles

METAFILE_MODELS = load_all_metafiles(REPO_ROOT / 'configs')


def zoo_model(name: str, device: str = 'meta') -> torch.nn.Module:
    register_all_modules()
    with torch.device(device):
        return build_model_from_cfg(Config.fromfile(METAFILE_MODELS[name].config))


@pytest.mark.parametrize('name', sorted(TIMM_MODELS))
def test_timm_model_has_the_zoo_models_size(name):
    assert name in METAFILE_MODELS
    with torch.device('meta'):
        peer = timm.create_model(TIMM_MODELS[name], pretrained=False)
    assert count_parameters(peer) == count_parameters(zoo_model(name))


@pytest.mark.parametrize('name', sorted(METAFILE_MODELS))
def test_every_model_mmpretrain_publishes_has_its_mmpretrain_config(name):
    entry = METAFILE_MODELS[name]
    config = mmpretrain_config(name)
    if entry.published is not None and entry.published.source == 'mmpretrain':
        assert config is not None and config.name == f'{name}.py'
        assert config.parent.parent.name == 'configs'  # mmpretrain/.mim/configs/<family>/
    else:  # the paper's figures: mmpretrain has no such model (GoogLeNet, MobileNetV1, CBAM...)
        assert config is None


def test_mmpretrain_model_is_built_from_its_config():
    model = build_mmpretrain(mmpretrain_config('resnet50_8xb32_in1k'))
    assert type(model).__module__.startswith('mmpretrain.')
    assert count_parameters(model) == 25557032


def test_torchvision_meta_is_the_weights_metadata():
    meta = torchvision.models.ResNet50_Weights.IMAGENET1K_V2.meta
    assert torchvision_meta('resnet50', 'IMAGENET1K_V2') == dict(
        params=meta['num_params'],
        flops=meta['_ops'],
        top1=meta['_metrics']['ImageNet-1K']['acc@1'],
        top5=meta['_metrics']['ImageNet-1K']['acc@5'])
    with pytest.raises(KeyError, match="torchvision 'resnet50' has no weights 'IMAGENET9K'"):
        torchvision_meta('resnet50', 'IMAGENET9K')


def test_timm_model_takes_the_rows_size_where_timm_fixes_it():
    with torch.device('meta'):
        vit = build_timm('vit_base_patch16_224', num_classes=10, size=64)
        resnet = build_timm('resnet50', num_classes=10, size=64)
    assert vit.patch_embed.img_size == (64, 64) and vit.num_classes == 10
    assert resnet.num_classes == 10


def test_weights_load_as_they_are_through_the_converter_or_not_at_all():
    zoo = zoo_model('resnet50_8xb32_in1k', device='cpu')
    mmpretrain = build_mmpretrain(mmpretrain_config('resnet50_8xb32_in1k'))
    state = zoo_state_dict(mmpretrain, zoo)  # mmpretrain's keys are the zoo's: as they are
    assert list(state) == list(mmpretrain.state_dict())

    tv = torchvision.models.resnet50()
    timm_model = timm.create_model('resnet50', pretrained=False)
    converted = zoo_state_dict(timm_model, zoo, tv, 'resnet50')
    assert set(converted) == set(zoo.state_dict())
    assert torch.equal(converted['backbone.conv1.weight'], timm_model.conv1.weight)

    # timm's ResNet-18 is neither the zoo's ResNet-50 nor torchvision's
    other = timm.create_model('resnet18', pretrained=False)
    assert zoo_state_dict(other, zoo, tv, 'resnet50') == \
        f'keys differ: 0 of {len(other.state_dict())}'
    # mmpretrain's ResNet-18: the stem's keys and shapes are the ResNet-50's
    other = build_mmpretrain(mmpretrain_config('resnet18_8xb32_in1k'))
    message = zoo_state_dict(other, zoo)
    matched = int(message.split()[2])
    assert message == f'keys differ: {matched} of {len(other.state_dict())}' and 0 < matched
