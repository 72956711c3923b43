from typing import Dict, Optional

from torch import Tensor

from .conv_norm_act import ConvNormAct
from .plugin import PluggableBlock


class DepthwiseSeparableConv(PluggableBlock):
    """A depthwise ``k x k`` convolution then a pointwise 1x1 convolution, each with its norm
    and activation (`MobileNets <https://arxiv.org/abs/1704.04861>`_, Figure 3).

    Plugins can go after either convolution (``'after_depthwise'``, ``'after_pointwise'``).

    Args:
        in_channels: Input channels (also those of the depthwise convolution).
        out_channels: Output channels of the pointwise convolution.
        kernel_size: Kernel of the depthwise convolution.
        stride: Stride of the depthwise convolution.
        dilation: Dilation of the depthwise convolution.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm after each convolution.
        act_cfg: Activation after each convolution.

    Example:
        >>> import torch
        >>> block = DepthwiseSeparableConv(32, 64, stride=2)
        >>> block.depthwise_conv[0].groups, tuple(block(torch.rand(1, 32, 16, 16)).shape)
        (32, (1, 64, 8, 8))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 dilation: int = 1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU', inplace=True)):
        super().__init__()
        self.depthwise_conv = ConvNormAct(
            in_channels,
            in_channels,
            kernel_size,
            stride=stride,
            dilation=dilation,
            groups=in_channels,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.pointwise_conv = ConvNormAct(
            in_channels, out_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

    @property
    def plugin_points(self) -> Dict[str, int]:
        return dict(
            after_depthwise=self.depthwise_conv[0].out_channels,
            after_pointwise=self.pointwise_conv[0].out_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.forward_plugins('after_depthwise', self.depthwise_conv(x))
        return self.forward_plugins('after_pointwise', self.pointwise_conv(x))


__all__ = ['DepthwiseSeparableConv']
