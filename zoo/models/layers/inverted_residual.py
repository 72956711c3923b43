from typing import Dict, Optional

from torch import Tensor

from zoo.registry import MODELS
from .conv_norm_act import ConvNormAct
from .plugin import PluggableBlock


class InvertedResidual(PluggableBlock):
    """The inverted residual with linear bottleneck of MobileNetV2 and MobileNetV3.

    A 1x1 expansion to ``mid_channels`` (left out when it would keep the width), a depthwise
    ``k x k`` convolution, an optional squeeze-excitation (MobileNetV3), and a 1x1 linear
    projection (norm, no activation); the input is added back when stride and width allow.

    Sub-modules: ``expand_conv``, ``depthwise_conv``, ``se``, ``project_conv`` (each a
    :class:`ConvNormAct` but ``se``): torchvision's ``block.<i>`` (MobileNetV3) and
    ``conv.<i>`` (MobileNetV2) are the same layers in the same order. Plugins can go after the
    expansion, after the depthwise convolution (and its SE) and after the projection, before
    the residual sum (``'after_expand'``, ``'after_depthwise'``, ``'after_project'``).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        mid_channels: Channels of the expansion and the depthwise convolution.
        kernel_size: Kernel of the depthwise convolution.
        stride: Stride of the depthwise convolution.
        se_cfg: Config of the squeeze-excitation after the depthwise convolution, without its
            ``in_channels`` (``dict(type='SELayer', ratio=4, gate_cfg=...)``); ``None`` for none.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm after each convolution.
        act_cfg: Activation after the expansion and the depthwise convolution.

    Example:
        >>> import torch
        >>> block = InvertedResidual(24, 24, 144)
        >>> block.use_residual, tuple(block(torch.rand(1, 24, 14, 14)).shape)
        (True, (1, 24, 14, 14))
        >>> block = InvertedResidual(16, 24, 64, kernel_size=5, stride=2,
        ...                          se_cfg=dict(type='SELayer', ratio=4))
        >>> block.use_residual, tuple(block(torch.rand(1, 16, 14, 14)).shape)
        (False, (1, 24, 7, 7))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 se_cfg: Optional[dict] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6', inplace=True)):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'InvertedResidual: stride must be 1 or 2, got {stride}')
        self.use_residual = stride == 1 and in_channels == out_channels
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.expand_conv = ConvNormAct(in_channels, mid_channels, 1, act_cfg=act_cfg, **common) \
            if mid_channels != in_channels else None
        self.depthwise_conv = ConvNormAct(mid_channels, mid_channels, kernel_size, stride=stride,
                                          groups=mid_channels, act_cfg=act_cfg, **common)
        self.se = MODELS.build(dict(se_cfg, in_channels=mid_channels)) if se_cfg else None
        self.project_conv = ConvNormAct(mid_channels, out_channels, 1, act_cfg=None, **common)

    @property
    def plugin_points(self) -> Dict[str, int]:
        points = dict(after_depthwise=self.depthwise_conv[0].out_channels,
                      after_project=self.project_conv[0].out_channels)
        if self.expand_conv is not None:
            points = dict(after_expand=self.expand_conv[0].out_channels, **points)
        return points

    def forward(self, x: Tensor) -> Tensor:
        out = x
        if self.expand_conv is not None:
            out = self.forward_plugins('after_expand', self.expand_conv(out))
        out = self.depthwise_conv(out)
        if self.se is not None:
            out = self.se(out)
        out = self.forward_plugins('after_depthwise', out)
        out = self.forward_plugins('after_project', self.project_conv(out))
        return x + out if self.use_residual else out


__all__ = ['InvertedResidual']
