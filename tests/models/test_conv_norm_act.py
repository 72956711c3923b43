import doctest
import warnings

import pytest
import torch
from torch import nn

from zoo.models.layers import ConvNormAct, conv_norm_act


def test_docstring_example():
    result = doctest.testmod(conv_norm_act, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_bias_auto_and_padding():
    plain = ConvNormAct(3, 4, 5, act_cfg=dict(type='Tanh'))
    assert isinstance(plain[0], nn.Conv2d) and isinstance(plain[1], nn.Tanh) and len(plain) == 2
    assert plain[0].bias is not None and plain[0].padding == (2, 2)

    with_norm = ConvNormAct(3, 4, 3, dilation=2, norm_cfg=dict(type='BN'), act_cfg=None)
    assert with_norm[0].bias is None and with_norm[0].padding == (2, 2) and len(with_norm) == 2
    assert with_norm(torch.rand(1, 3, 9, 9)).shape == (1, 4, 9, 9)


def test_explicit_bias_before_norm_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        layer = ConvNormAct(3, 4, 3, bias=True, norm_cfg=dict(type='BN'))
    assert layer[0].bias is not None


def test_bad_bias_is_named():
    with pytest.raises(ValueError, match="bias must be a bool or 'auto', got 'yes'"):
        ConvNormAct(3, 4, 3, bias='yes')
