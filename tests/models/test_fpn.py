"""zoo.FPN computes what mmdet's FPN computes, with the same state-dict keys."""
import doctest

import pytest
import torch
from mmdet.models.necks import FPN as MMDetFPN
from torch import nn

from zoo.models.necks import FPN, fpn
from zoo.registry import MODELS

IN_CHANNELS = [8, 16, 24, 32]
# Odd sizes: each top-down step must upsample to the finer level's size, not simply by 2.
SIZES = [33, 17, 9, 5]

OPTIONS = {
    'faster-rcnn (max-pool extra level)':
    dict(num_outs=5),
    'retinanet (on_input from C3)':
    dict(num_outs=5, start_level=1, add_extra_convs='on_input'),
    'add_extra_convs=True':
    dict(num_outs=6, add_extra_convs=True),
    'on_lateral + relu before extra':
    dict(num_outs=7, add_extra_convs='on_lateral', relu_before_extra_convs=True),
    'on_output + BN + ReLU':
    dict(
        num_outs=6,
        start_level=1,
        add_extra_convs='on_output',
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU')),
    'GN, no norm on lateral':
    dict(num_outs=4, norm_cfg=dict(type='GN', num_groups=4), no_norm_on_lateral=True),
    'end_level before the last input':
    dict(num_outs=2, start_level=1, end_level=2),
    'bilinear upsampling':
    dict(num_outs=4, upsample_cfg=dict(mode='bilinear', align_corners=False)),
}


def make_inputs(sizes=SIZES, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(2, c, s, s, generator=generator) for c, s in zip(IN_CHANNELS, sizes)]


def randomise(module: nn.Module, seed: int = 0) -> None:
    """Non-trivial values for every parameter and norm statistic."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in list(module.parameters()) + list(module.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)


@pytest.mark.parametrize('options', OPTIONS.values(), ids=list(OPTIONS))
def test_equals_mmdet_fpn(options):
    cfg = dict(in_channels=IN_CHANNELS, out_channels=16, **options)
    theirs = MMDetFPN(**cfg)
    randomise(theirs)
    ours = MODELS.build(dict(type='FPN', **cfg))

    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.load_state_dict(ours.state_dict(), strict=True)

    inputs = make_inputs()
    ours.eval(), theirs.eval()
    with torch.no_grad():
        expected, outs = theirs(inputs), ours(inputs)
    assert len(outs) == len(expected) == options['num_outs']
    for out, exp in zip(outs, expected):
        assert out.shape == exp.shape and out.shape[1] == 16
        torch.testing.assert_close(out, exp, atol=1e-6, rtol=0)


def test_fixed_scale_factor_equals_mmdet():
    cfg = dict(
        in_channels=IN_CHANNELS,
        out_channels=16,
        num_outs=4,
        upsample_cfg=dict(scale_factor=2, mode='nearest'))
    theirs = MMDetFPN(**cfg)
    randomise(theirs)
    ours = FPN(**cfg)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    inputs = make_inputs(sizes=[32, 16, 8, 4])
    for out, exp in zip(ours(inputs), theirs(inputs)):
        torch.testing.assert_close(out, exp, atol=1e-6, rtol=0)


def test_extra_level_sources_differ():
    """The three sources of the first extra level give different pyramids (none is ignored)."""
    inputs = make_inputs()
    tops = []
    for source in FPN.EXTRA_CONV_SOURCES:
        torch.manual_seed(0)
        neck = FPN(IN_CHANNELS, 32, num_outs=5, add_extra_convs=source)
        randomise(neck)
        with torch.no_grad():
            tops.append(neck(inputs)[-1])
    assert tops[0].shape == (2, 32, 3, 3)
    assert not torch.allclose(tops[0], tops[1]) and not torch.allclose(tops[1], tops[2])


def test_gradients_reach_every_parameter():
    neck = FPN(
        IN_CHANNELS,
        16,
        num_outs=6,
        start_level=1,
        add_extra_convs='on_input',
        relu_before_extra_convs=True)
    neck.init_weights()
    sum(out.sum() for out in neck(make_inputs())).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in neck.parameters())


@pytest.mark.parametrize('cfg, match', [
    (dict(in_channels=8, out_channels=16, num_outs=1), 'in_channels must be a non-empty list'),
    (dict(in_channels=[], out_channels=16, num_outs=1), 'in_channels must be a non-empty list'),
    (dict(in_channels=IN_CHANNELS, out_channels=0, num_outs=4), 'out_channels'),
    (dict(in_channels=IN_CHANNELS, out_channels=16, num_outs=3), r'num_outs \(3\) must be at'),
    (dict(in_channels=IN_CHANNELS, out_channels=16, num_outs=4, start_level=4), 'start_level'),
    (dict(in_channels=IN_CHANNELS, out_channels=16, num_outs=3, end_level=5), 'end_level'),
    (dict(in_channels=IN_CHANNELS, out_channels=16, num_outs=4,
          end_level=2), 'no extra level can be added, so num_outs must be 3'),
    (dict(in_channels=IN_CHANNELS, out_channels=16, num_outs=5,
          add_extra_convs='on_top'), "add_extra_convs must be .* got 'on_top'"),
    (dict(in_channels=IN_CHANNELS, out_channels=16, num_outs=4,
          upsample_cfg=dict(size=(8, 8))), 'without "size"'),
])
def test_bad_options_are_named(cfg, match):
    with pytest.raises(ValueError, match=match):
        FPN(**cfg)


def test_wrong_number_of_inputs_is_named():
    neck = FPN(IN_CHANNELS, 16, num_outs=4)
    with pytest.raises(ValueError, match=r'expected 4 input levels .* got 3'):
        neck(make_inputs()[:3])


def test_docstring_example():
    result = doctest.testmod(fpn, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
