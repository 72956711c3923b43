"""ResNet / ResNeXt options beyond the shared backbone contract."""
import pytest
import torch
import torchvision
from torch.nn.modules.batchnorm import _BatchNorm

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import count_parameters
from zoo.models.backbones.resnet import BasicBlock, Bottleneck
from zoo.registry import MODELS


def blocks(model):
    return [m for m in model.modules() if isinstance(m, (BasicBlock, Bottleneck))]


@pytest.mark.parametrize('depth', [18, 50])
def test_zero_init_residual(depth):
    model = MODELS.build(
        dict(
            type='ResNet',
            depth=depth,
            num_stages=2,
            strides=(1, 2),
            dilations=(1, 1),
            out_indices=(1, )))
    model.init_weights()
    for block in blocks(model):
        assert torch.all(block.last_norm.weight == 0) and torch.all(block.last_norm.bias == 0)
        assert torch.all(block.bn1.weight == 1)
    assert model.bn1.weight.eq(1).all()
    # torchvision's initialisation: Kaiming normal, fan-out, for convolutions.
    fan_out = model.conv1.weight.shape[0] * 7 * 7
    assert abs(model.conv1.weight.std().item() - (2 / fan_out)**0.5) < 0.2 * (2 / fan_out)**0.5

    model = MODELS.build(dict(type='ResNet', depth=depth, zero_init_residual=False))
    model.init_weights()
    assert all(torch.all(block.last_norm.weight == 1) for block in blocks(model))


def test_pretrained_checkpoint_is_not_zeroed(tmp_path):
    """A torchvision-keyed state dict loads through init_cfg, and zero_init_residual leaves it."""
    source = MODELS.build(dict(type='ResNet', depth=18))
    for block in blocks(source):
        block.last_norm.weight.data.fill_(0.5)
    checkpoint = tmp_path / 'resnet18.pth'
    torch.save(source.state_dict(), checkpoint)

    model = MODELS.build(
        dict(type='ResNet', depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint))))
    model.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name


def test_caffe_style_moves_the_stride_to_the_first_conv():
    pytorch = MODELS.build(dict(type='ResNet', depth=50, style='pytorch'))
    caffe = MODELS.build(dict(type='ResNet', depth=50, style='caffe'))
    assert pytorch.layer2[0].conv1.stride == (1, 1) and pytorch.layer2[0].conv2.stride == (2, 2)
    assert caffe.layer2[0].conv1.stride == (2, 2) and caffe.layer2[0].conv2.stride == (1, 1)
    assert count_parameters(pytorch) == count_parameters(caffe)


def test_strides_and_dilations_keep_resolution():
    model = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 2),
            out_indices=(2, 3))).eval()
    with torch.no_grad():
        c4, c5 = model(torch.rand(1, 3, 64, 64))
    assert c4.shape[-2:] == c5.shape[-2:] == (4, 4)
    assert model.layer4[1].conv1.dilation == (2, 2)


def test_num_stages_and_norm_cfg():
    model = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            num_stages=3,
            strides=(1, 2, 2),
            dilations=(1, 1, 1),
            out_indices=(0, 1, 2),
            norm_cfg=dict(type='GN', num_groups=8)))
    assert model.stage_names == ('layer1', 'layer2', 'layer3')
    assert model.out_channels == (64, 128, 256)
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    assert isinstance(model.gn1, torch.nn.GroupNorm)  # named by its type, as mmdet and mmpretrain
    frozen_bn = MODELS.build(
        dict(type='ResNet', depth=18, norm_cfg=dict(type='BN', requires_grad=False)))
    assert not frozen_bn.bn1.weight.requires_grad and frozen_bn.conv1.weight.requires_grad


def test_wide_resnet_through_width_per_group():
    with torch.device('meta'):
        model = MODELS.build(dict(type='ResNet', depth=50, width_per_group=128))
        expected = torchvision.models.wide_resnet50_2(weights=None)
    expected_backbone = count_parameters(expected) - count_parameters(expected.fc)
    assert count_parameters(model) == expected_backbone


@pytest.mark.parametrize('cfg, match', [
    (dict(type='ResNet', depth=20), r'depth 20 is not one of \[18, 34, 50, 101, 152\]'),
    (dict(type='ResNeXt', depth=18), r'ResNeXt: depth 18 is not one of \[50, 101, 152\]'),
    (dict(type='ResNet', depth=18, style='tf'), "style must be one of"),
    (dict(type='ResNet', depth=18, num_stages=5), 'num_stages'),
    (dict(type='ResNet', depth=18, num_stages=2), 'strides'),
    (dict(type='ResNet', depth=18, groups=32, width_per_group=4), 'BasicBlock'),
])
def test_bad_arguments_are_named(cfg, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)
