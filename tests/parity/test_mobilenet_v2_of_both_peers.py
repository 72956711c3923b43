"""zoo's MobileNetV2 is mmdet 3.3.0's in mmdet's scope (its block layout, ``out_indices``
and freezing) and mmpretrain 1.2.0's elsewhere."""
import mmdet.models.backbones as mmdet_backbones  # needs mmcv's ops (mmdet.models)
import mmpretrain.models.backbones as mmpretrain_backbones
import pytest
from mmengine.registry import DefaultScope

from tests.parity.peers import assert_backbone_twins
from zoo.models.backbones import MobileNetV2


def zoo_mobilenet(scope: str, **kwargs) -> MobileNetV2:
    with DefaultScope.overwrite_default_scope(scope):
        return MobileNetV2(**kwargs)


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(),  # mmdet's defaults: out_indices (1, 2, 4, 7)
        dict(out_indices=(2, 4, 6), act_cfg=dict(type='LeakyReLU', negative_slope=0.1)),  # YOLOv3
        dict(frozen_stages=3, widen_factor=0.5),  # conv1 frozen but left training, as mmdet's
        dict(frozen_stages=0, norm_eval=True, norm_cfg=dict(type='BN', eps=0.001, momentum=0.03)),
    ])
def test_mmdet_mobilenet_v2(kwargs):
    ours = zoo_mobilenet('mmdet', **kwargs)
    assert ours.peer == 'mmdet'
    assert_backbone_twins(ours, mmdet_backbones.MobileNetV2(**kwargs))


@pytest.mark.parametrize('kwargs', [dict(), dict(out_indices=(1, 7), norm_eval=True)])
def test_mmpretrain_mobilenet_v2(kwargs):
    ours = zoo_mobilenet('zoo', **kwargs)
    assert ours.peer == 'mmpretrain'
    assert_backbone_twins(ours, mmpretrain_backbones.MobileNetV2(**kwargs))


def test_a_frozen_stem_is_in_eval_mode_outside_mmdets_scope():
    """A deliberate difference from mmpretrain, whose frozen conv1 keeps training its
    BatchNorm statistics: zoo's frozen stages never move (the backbone contract)."""
    theirs = mmpretrain_backbones.MobileNetV2(frozen_stages=1)
    ours = zoo_mobilenet('zoo', frozen_stages=1)
    theirs.train(), ours.train()
    assert theirs.conv1.training and not ours.conv1.training
    assert not any(p.requires_grad for p in ours.conv1.parameters())


def test_defaults_and_layout_follow_the_peer():
    mmdet_net, mmpretrain_net = zoo_mobilenet('mmdet'), zoo_mobilenet('zoo')
    assert mmdet_net.out_indices == (1, 2, 4, 7) and mmpretrain_net.out_indices == (7, )
    assert 'layer2.0.expand_conv.conv.weight' in mmdet_net.state_dict()
    assert 'layer2.0.conv.0.conv.weight' in mmpretrain_net.state_dict()
    with pytest.warns(UserWarning, match='pretrained is deprecated'):
        assert zoo_mobilenet(
            'mmdet', pretrained='m.pth').init_cfg == dict(
                type='Pretrained', checkpoint='m.pth')
