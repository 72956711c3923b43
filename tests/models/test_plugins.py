"""Attention plugins (SE, CBAM, SRM, and mmcv's) inserted into backbone stages by config."""
import re
from pathlib import Path
from typing import List, Tuple

import pytest
import torch
from mmengine.config import Config
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import count_parameters
from zoo.models.backbones.resnet import Bottleneck
from zoo.models.layers import (CBAM, SRM, ConvModule, InvertedResidual, SELayer, insert_plugins,
                               make_divisible)
from zoo.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
# Plugin keys: ``plugins.<position>.<i>`` in most families; in the ResNet family a child named as
# mmdet names it (``se_layer``, ``cbam``, ``srm``, ``context_block``, with a postfix).
PLUGIN_KEY = re.compile(r'\.(plugins|se_layer|cbam|srm|context_block)\d*\.')


def is_plugin_key(name: str) -> bool:
    return bool(PLUGIN_KEY.search(name))


def se(position: str, stages=None, **cfg) -> dict:
    spec = dict(cfg=dict(type='SELayer', **cfg), position=position)
    return spec if stages is None else dict(spec, stages=stages)


def plugin_backbones_of_configs() -> List[Tuple[str, dict]]:
    """Every distinct backbone config with plugins that a shipped config builds.

    Only the configs that write ``plugins`` themselves are parsed (parsing all of them takes
    seconds): a config that inherits its backbone unchanged adds no combination.
    """
    found = {}
    for path in sorted(CONFIGS.rglob('*.py')):
        if 'plugins' not in path.read_text():
            continue
        backbone = Config.fromfile(path).get('model', {}).get('backbone', {})
        if backbone.get('plugins'):
            found.setdefault(repr(backbone.to_dict()), (path.stem, backbone.to_dict()))
    return list(found.values())


PLUGIN_BACKBONES = plugin_backbones_of_configs()


def test_configs_use_every_plugin():
    used = {spec['cfg']['type'] for _, cfg in PLUGIN_BACKBONES for spec in cfg['plugins']}
    assert used == {'SELayer', 'CBAM', 'SRM'}


@pytest.mark.parametrize('name, cfg', PLUGIN_BACKBONES, ids=[n for n, _ in PLUGIN_BACKBONES])
def test_plugin_combinations_of_the_configs_keep_the_backbone_contract(name, cfg):
    """Forward shapes, gradients to every plugin parameter, freezing and norm_eval."""
    cfg = dict(cfg, out_indices=(0, 1, 2, 3))
    size = 32 if 'CIFAR' in cfg['type'] else 64
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    model = MODELS.build(cfg).train()
    with torch.device('meta'):  # structure only: no memory, no initialisation
        plain = MODELS.build(dict(cfg, plugins=None))
        frozen = MODELS.build(dict(cfg, frozen_stages=1)).train()
        norm_eval = MODELS.build(dict(cfg, norm_eval=True)).train()
    plugin_params = [n for n, _ in model.named_parameters() if is_plugin_key(n)]
    assert plugin_params and count_parameters(model) > count_parameters(plain)
    assert set(plain.state_dict()) == {k for k in model.state_dict() if not is_plugin_key(k)}

    outs = model(x)
    assert [o.shape[1] for o in outs] == list(model.out_channels) == list(plain.out_channels)
    sum(o.mean() for o in outs).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert not no_grad, f'parameters without a gradient: {no_grad}'

    layer1_plugins = [
        p for n, p in frozen.named_parameters() if n.startswith('layer1.') and is_plugin_key(n)
    ]
    assert layer1_plugins and not any(p.requires_grad for p in layer1_plugins)
    assert any(p.requires_grad for n, p in frozen.named_parameters() if is_plugin_key(n))

    assert not any(m.training for m in norm_eval.modules() if isinstance(m, _BatchNorm))


def test_se_resnet50_puts_se_before_the_residual_sum():
    model = MODELS.build(dict(type='ResNet', depth=50, plugins=[se('after_conv3', ratio=16)]))
    block = model.layer2[1]
    assert isinstance(block.se_layer, SELayer)  # named as mmdet's and mmpretrain's ResNets do
    assert block.se_layer.conv1.conv.out_channels == 512 // 16
    assert 'layer2.1.se_layer.conv2.conv.weight' in model.state_dict()
    # A gate shut to zero silences the residual branch: the block is relu(identity).
    with torch.no_grad():
        block.se_layer.conv2.conv.bias.fill_(-1e4)
        x = torch.randn(2, 512, 8, 8)
        assert torch.equal(block.eval()(x), torch.relu(x))


def test_plugins_stay_off_the_stages_not_chosen():
    model = MODELS.build(
        dict(type='ResNet', depth=18, plugins=[se('after_conv2', (False, True, False, True))]))
    with_plugins = {
        name.split('.')[0]
        for name, _ in model.named_parameters() if is_plugin_key(name)
    }
    assert with_plugins == {'layer2', 'layer4'}


def test_every_block_of_a_chosen_stage_gets_a_plugin_of_its_width():
    model = MODELS.build(
        dict(
            type='VGG',
            depth=11,
            plugins=[se('after_conv', (False, False, True, True, True), ratio=4)]))
    layers = [m for m in model.modules() if isinstance(m, ConvModule)]
    gates = [layer.plugins.after_conv[0] for layer in layers if 'plugins' in layer._modules]
    assert [g.conv1.conv.in_channels for g in gates] == [256, 256, 512, 512, 512, 512]


def test_two_plugins_run_in_order_at_one_position():
    model = MODELS.build(
        dict(
            type='MobileNetV2',
            widen_factor=0.5,
            plugins=[
                se('after_depthwise', (False, ) * 3 + (True, ) + (False, ) * 4),
                dict(
                    cfg=dict(type='CBAM', ratio=8),
                    position='after_depthwise',
                    stages=(False, ) * 3 + (True, ) + (False, ) * 4)
            ]))
    block = model.layer4[0]
    assert [type(p) for p in block.plugins.after_depthwise] == [SELayer, CBAM]
    depthwise = block.layers()['depthwise_conv'].conv
    assert block.plugins.after_depthwise[0].conv1.conv.in_channels == depthwise.out_channels


def test_an_mmcv_plugin_works_too():
    """mmcv's GCNet ContextBlock takes `in_channels` like zoo's plugins."""
    model = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            out_indices=(3, ),
            plugins=[
                dict(
                    cfg=dict(type='ContextBlock', ratio=1 / 4),
                    position='after_conv2',
                    stages=(False, False, True, True))
            ]))
    out, = model(torch.rand(1, 3, 64, 64))
    assert out.shape == (1, 512, 2, 2)
    assert type(model.layer3[0].context_block).__name__ == 'ContextBlock'


def test_resnet_plugins_take_mmdets_names_and_postfixes():
    """mmdet's make_block_plugins names: the class's abbreviation plus the cfg's postfix; two
    plugins of one type without distinct postfixes are an error, as in mmdet."""
    twice = [
        dict(cfg=dict(type='ContextBlock', ratio=1 / 4, postfix=i), position='after_conv3')
        for i in (1, 2)
    ]
    model = MODELS.build(dict(type='ResNet', depth=50, plugins=twice))
    assert {'layer1.0.context_block1.conv_mask.weight',
            'layer1.0.context_block2.conv_mask.weight'} <= set(model.state_dict())
    assert model.layer1[0].plugin_names == {'after_conv3': ['context_block1', 'context_block2']}
    for spec in twice:
        spec['cfg'].pop('postfix')
    with pytest.raises(ValueError, match="Bottleneck: a second plugin named 'context_block'"):
        MODELS.build(dict(type='ResNet', depth=50, plugins=twice))


@pytest.mark.parametrize('cfg, match', [
    (dict(type='ResNet', depth=18, plugins=[se('after_conv3')]),
     r"ResNet: plugins\[0\] \(SELayer at 'after_conv3'\) cannot go into stage 0 \(layer1\): "
     r"its BasicBlock blocks offer the positions \('after_conv1', 'after_conv2'\)"),
    (dict(type='MobileNetV2', plugins=[se('after_project')]),
     r"stage 7 \(conv2\): its ConvModule blocks offer the positions \('after_conv',\)"),
    (dict(type='MobileNetV2', plugins=[se('after_expand')]),
     r"stage 0 \(layer1\): its InvertedResidual blocks offer the positions "
     r"\('after_depthwise', 'after_project'\)"),
    (dict(type='ResNet', depth=50, plugins=[se('after_conv3', (True, True))]),
     r'stages has 2 flags but ResNet has 4 stages \(layer1, layer2, layer3, layer4\)'),
    (dict(type='ResNet', depth=50, plugins=[dict(se('after_conv3'), stage=(True, ) * 4)
                                            ]), r"unknown keys \['stage'\]"),
    (dict(type='ResNet', depth=50, plugins=[se('after_conv3', in_channels=64)
                                            ]), r'do not set in_channels=64'),
])
def test_misplaced_plugin_says_which_stage_and_why(cfg, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)


def test_stage_without_pluggable_blocks_says_so():
    stages = dict(layer1=nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()))
    with pytest.raises(
            ValueError,
            match=r"Toy: plugins\[0\] \(SELayer at 'after_conv'\) cannot "
            r"go into stage 0 \(layer1\): it holds no block that takes plugins "
            r"\(it holds Conv2d, ReLU\)"):
        insert_plugins('Toy', stages, [se('after_conv')])


@pytest.mark.parametrize('plugin', [SELayer(32, ratio=4), CBAM(32, ratio=4), SRM(32)])
def test_attention_keeps_shape_and_is_finite_on_1x1_maps(plugin):
    for size in (7, 1):
        x = torch.randn(2, 32, size, size, requires_grad=True)
        out = plugin.train()(x)
        out.sum().backward()
        assert out.shape == x.shape
        assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()


def test_se_layer_widths_follow_make_divisible():
    assert SELayer(960, ratio=4).conv1.conv.out_channels == 240
    assert SELayer(72, ratio=4).conv1.conv.out_channels == 24  # 18 rounds to 16 < 0.9 * 18: 24
    assert SELayer(100, ratio=16, divisor=1).conv1.conv.out_channels == 6
    assert SELayer(64, squeeze_channels=5).conv1.conv.out_channels == 5
    with pytest.raises(ValueError, match='ratio'):
        SELayer(64, ratio=0)


def test_se_layer_is_torchvision_squeeze_excitation():
    """torchvision's fc1/fc2 are the conv1.conv/conv2.conv of mmpretrain's layout."""
    from torchvision.ops import SqueezeExcitation
    torch.manual_seed(0)
    reference = SqueezeExcitation(24, 8, scale_activation=torch.nn.Hardsigmoid)
    layer = SELayer(24, squeeze_channels=8, gate_cfg=dict(type='Hardsigmoid'))
    layer.load_state_dict(
        {
            k.replace('fc1.', 'conv1.conv.').replace('fc2.', 'conv2.conv.'): v
            for k, v in reference.state_dict().items()
        },
        strict=True)
    x = torch.randn(2, 24, 5, 5)
    assert torch.allclose(layer(x), reference(x), atol=1e-6)


def test_cbam_gates_channels_then_space():
    torch.manual_seed(0)
    cbam = CBAM(16, ratio=4).eval()
    x = torch.randn(2, 16, 6, 6)
    channel = cbam.channel_attention
    mlp = lambda v: channel.fc2(torch.relu(channel.fc1(v)))  # noqa: E731
    gated = x * torch.sigmoid(mlp(x.mean((2, 3), keepdim=True)) + mlp(x.amax((2, 3), True)))
    pooled = torch.cat([gated.amax(1, keepdim=True), gated.mean(1, keepdim=True)], 1)
    expected = gated * torch.sigmoid(cbam.spatial_attention.conv(pooled))
    assert torch.allclose(cbam(x), expected, atol=1e-6)
    assert count_parameters(cbam) == 2 * (16 * 4) + 4 + 16 + 2 * 49 + 2


def test_srm_gates_with_mean_and_std():
    torch.manual_seed(0)
    srm = SRM(8).eval()
    with torch.no_grad():
        srm.cfc.weight.normal_()
    x = torch.randn(2, 8, 5, 5)
    flat = x.flatten(2)
    mean, std = flat.mean(-1), (flat.var(-1, unbiased=False) + srm.eps).sqrt()
    weight = srm.cfc.weight[:, 0]  # (C, 2)
    z = weight[:, 0] * mean + weight[:, 1] * std
    z = srm.norm(z[..., None])[..., 0]
    assert torch.allclose(srm(x), x * torch.sigmoid(z)[..., None, None], atol=1e-6)


def test_blocks_declare_their_plugin_points():
    bottleneck = Bottleneck(256, 64)
    assert bottleneck.plugin_points == dict(after_conv1=64, after_conv2=64, after_conv3=256)
    assert InvertedResidual(16, 24, 96).plugin_points == dict(
        after_expand=96, after_depthwise=96, after_project=24)
    with pytest.raises(ValueError, match=r"no plugin point 'after_conv9'.*'after_conv1'"):
        bottleneck.add_plugin('after_conv9', SELayer(64))


def test_se_inception_puts_one_se_on_each_inception_output():
    """The SE paper's SE-Inception: SE on every Inception module's concatenated output."""
    with torch.device('meta'):
        plain = MODELS.build(dict(type='GoogLeNet'))
        model = MODELS.build(dict(type='GoogLeNet', plugins=[se('after_concat', ratio=16)]))
    squeeze = [(c, make_divisible(c // 16, 8)) for c in plain.stage_channels]  # 480 -> 32
    assert count_parameters(model) - count_parameters(plain) == sum(2 * c * s + s + c
                                                                    for c, s in squeeze)
    out, = model(torch.empty(1, 3, 224, 224, device='meta'))
    assert out.shape == (1, 1024, 7, 7)
