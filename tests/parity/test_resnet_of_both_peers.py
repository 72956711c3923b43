"""zoo's ResNet family is mmdet 3.3.0's in mmdet's scope and mmpretrain 1.2.0's elsewhere:
every argument of both, their defaults, state-dict keys, strict loads, outputs and train modes."""
import warnings

import mmdet.models.backbones as mmdet_backbones  # needs mmcv's ops (mmdet.models)
import mmpretrain.models.backbones as mmpretrain_backbones
import pytest
import torch
from mmengine.registry import DefaultScope

from tests.parity.peers import assert_backbone_twins
from zoo.models.backbones import ResNet, ResNeXt
from zoo.models.backbones.resnet import BasicBlock
from zoo.registry import MODELS


def zoo_twin(name: str, scope: str, **kwargs):
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.get(name)(**kwargs)


def drop_path(name: str) -> bool:
    """mmpretrain keeps an nn.Identity for a zero drop path, where zoo keeps no module."""
    return name.endswith('drop_path')


# Bottleneck cases are two stages deep (num_stages=2) to stay quick; every option is per stage.
TWO = dict(num_stages=2, strides=(1, 2), dilations=(1, 1), out_indices=(0, 1))
MMDET_CASES = [
    ('ResNet', dict(depth=18)),
    ('ResNet',
     dict(
         depth=50,
         frozen_stages=1,
         style='caffe',
         norm_cfg=dict(type='BN', requires_grad=False),
         **TWO)),
    ('ResNet',
     dict(
         depth=50,
         deep_stem=True,
         avg_down=True,
         stem_channels=32,
         base_channels=32,
         frozen_stages=1,
         **TWO)),
    ('ResNetV1d', dict(depth=50, frozen_stages=2, **TWO)),
    ('ResNet', dict(depth=18, norm_cfg=dict(type='GN', num_groups=8), norm_eval=False)),
    ('ResNet', dict(depth=50, num_stages=2, strides=(1, 1), dilations=(1, 2), out_indices=(1, ))),
    ('ResNet', dict(depth=50, with_cp=True, zero_init_residual=False, **TWO)),
    ('ResNet',
     dict(
         depth=50,
         **TWO,
         plugins=[
             dict(
                 cfg=dict(type='ContextBlock', ratio=1. / 4),
                 stages=(False, True),
                 position='after_conv3'),
             dict(
                 cfg=dict(
                     type='GeneralizedAttention',
                     spatial_range=-1,
                     num_heads=8,
                     attention_type='0010',
                     kv_stride=2),
                 stages=(True, True),
                 position='after_conv2'),
             dict(
                 cfg=dict(type='NonLocal2d', postfix=1),
                 stages=(False, True),
                 position='after_conv2')
         ])),
    ('ResNet',
     dict(
         depth=50,
         dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
         stage_with_dcn=(False, True),
         **TWO)),
    ('ResNeXt', dict(depth=50, groups=32, base_width=4, **TWO)),
    ('ResNeXt',
     dict(
         depth=50,
         groups=64,
         base_width=4,
         style='caffe',
         dcn=dict(type='DCNv2', deform_groups=4),
         stage_with_dcn=(True, False),
         **TWO)),
    ('ResNeXt', dict(depth=50, **TWO)),  # mmdet's groups=1: a plain ResNet-50
]


@pytest.mark.parametrize('name, kwargs', MMDET_CASES, ids=lambda c: str(c)[:60])
def test_mmdet_resnet_family_in_mmdet_scope(name, kwargs):
    torch.manual_seed(0)
    theirs = getattr(mmdet_backbones, name)(**kwargs)
    ours = zoo_twin(name, 'mmdet', **kwargs)
    assert ours.peer == 'mmdet'
    assert_backbone_twins(ours, theirs, atol=1e-5, one_sided=drop_path)


MMPRETRAIN_CASES = [
    ('ResNet', dict(depth=50)),
    ('ResNet', dict(depth=18, out_indices=(0, 1, 2, 3), frozen_stages=1)),
    ('ResNetV1c', dict(depth=50, frozen_stages=1, **TWO)),
    ('ResNetV1d', dict(depth=50, **TWO)),
    ('ResNet', dict(depth=50, stem_channels=64, base_channels=128, expansion=2,
                    **TWO)),  # Wide-ResNet-50-2
    ('ResNet', dict(depth=50, drop_path_rate=0.05, with_cp=True, **TWO)),
    ('ResNet_CIFAR', dict(depth=18)),
    ('ResNeXt', dict(depth=50, groups=32, width_per_group=4, **TWO)),
    ('ResNeXt', dict(depth=50, **TWO)),  # mmpretrain's groups=32
]


@pytest.mark.parametrize('name, kwargs', MMPRETRAIN_CASES, ids=lambda c: str(c)[:60])
def test_mmpretrain_resnet_family_in_zoo_scope(name, kwargs):
    torch.manual_seed(0)
    theirs = getattr(mmpretrain_backbones, name)(**kwargs)
    ours = zoo_twin(name, 'zoo', **kwargs)
    assert ours.peer == 'mmpretrain'
    assert_backbone_twins(ours, theirs, atol=1e-5, one_sided=drop_path)


@pytest.mark.parametrize('name', ['SEResNet', 'SEResNeXt'])
def test_se_resnets_compute_mmpretrains_blocks(name):
    """The SE layer sits where mmpretrain's does (``se_layer`` of each Bottleneck), with
    mmpretrain's names inside (``conv1.conv``/``conv2.conv``): its checkpoint loads strictly."""
    theirs = getattr(mmpretrain_backbones, name)(depth=50, **TWO)
    ours = zoo_twin(name, 'zoo', depth=50, **TWO)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[-1], theirs(x)[-1], rtol=0, atol=1e-5)


def test_defaults_follow_the_building_scope_and_explicit_arguments_win():
    with DefaultScope.overwrite_default_scope('mmdet'):
        mmdet_default = ResNet(depth=18)
        explicit = ResNet(depth=18, norm_eval=False, out_indices=(3, ))
        chosen = ResNet(depth=18, peer='mmpretrain')
        resnext = ResNeXt(depth=50)
    zoo_default = ResNet(depth=18)
    assert (mmdet_default.out_indices, mmdet_default.norm_eval) == ((0, 1, 2, 3), True)
    assert (zoo_default.out_indices, zoo_default.norm_eval) == ((3, ), False)
    assert (explicit.out_indices, explicit.norm_eval) == ((3, ), False)
    assert (chosen.out_indices, chosen.norm_eval, chosen.peer) == ((3, ), False, 'mmpretrain')
    assert resnext.layer1[0].conv2.groups == 1 and ResNeXt(depth=50).layer1[0].conv2.groups == 32
    # stem_channels: mmdet's follows base_channels, mmpretrain's stays 64
    assert ResNet(depth=18, base_channels=32, peer='mmdet').conv1.out_channels == 32
    assert ResNet(depth=18, base_channels=32).conv1.out_channels == 64


def test_pretrained_is_mmdets_deprecated_init_cfg(tmp_path):
    with pytest.warns(UserWarning, match='pretrained is deprecated'):
        model = ResNet(depth=18, pretrained=str(tmp_path / 'r18.pth'))
    assert model.init_cfg == dict(type='Pretrained', checkpoint=str(tmp_path / 'r18.pth'))
    with pytest.raises(ValueError, match='init_cfg and pretrained cannot be specified'):
        ResNet(depth=18, pretrained='a.pth', init_cfg=dict(type='Pretrained', checkpoint='b'))
    with pytest.raises(TypeError, match='pretrained must be a str or None'):
        ResNet(depth=18, pretrained=1)


def test_with_cp_gives_the_same_gradients():
    plain = ResNet(depth=18, out_indices=(3, ))
    checkpointed = ResNet(depth=18, out_indices=(3, ), with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for model in (plain, checkpointed):
            model(x.clone().requires_grad_())[0].sum().backward()
    for a, b in zip(plain.parameters(), checkpointed.parameters()):
        torch.testing.assert_close(a.grad, b.grad)


@pytest.mark.parametrize('kwargs, match', [
    (dict(groups=32, width_per_group=4), r'BasicBlock \(ResNet-18/34\) supports only groups=1 '
     r'and width_per_group \(ResNeXt: base_width\)'),
    (dict(style='tf'), "style must be one of"),
    (dict(dcn=dict(type='DCN'),
          stage_with_dcn=(False, True, True, True)), 'dcn is supported in Bottleneck blocks'),
    (dict(dcn=dict(type='DCN'), stage_with_dcn=(True, )), 'stage_with_dcn'),
    (dict(peer='mmseg'), 'peer must be one of'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ResNet(depth=18, **kwargs)


def test_basic_block_style_is_validated_and_means_one_stride_position():
    """A BasicBlock has one strided convolution: 'caffe' builds what 'pytorch' builds, as in
    mmdet's and mmpretrain's BasicBlock; anything else is an error."""
    pytorch, caffe = BasicBlock(8, 8, stride=2), BasicBlock(8, 8, stride=2, style='caffe')
    assert pytorch.conv1.stride == caffe.conv1.stride == (2, 2)
    with pytest.raises(ValueError, match='BasicBlock: style must be one of'):
        BasicBlock(8, 8, style='tf')
    with pytest.raises(ValueError, match="ResNeXt: width_per_group=8 and base_width=4"):
        ResNeXt(depth=50, width_per_group=8, base_width=4)
