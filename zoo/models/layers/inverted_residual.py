from typing import Dict, Optional

import torch.utils.checkpoint as cp
from torch import Tensor, nn

from zoo.registry import MODELS
from .conv_module import ConvModule
from .drop_path import DropPath
from .plugin import PluggableBlock


class InvertedResidual(PluggableBlock):
    """The inverted residual with linear bottleneck of MobileNetV2 and MobileNetV3.

    A 1x1 expansion to ``mid_channels`` (left out when it would keep the width), a depthwise
    ``k x k`` convolution, an optional squeeze-excitation (MobileNetV3), and a 1x1 linear
    projection (norm, no activation); the input is added back when stride and width allow.

    The layers are mmcv ``ConvModule`` s named as in mmpretrain's published checkpoints:
    ``expand_conv``, ``depthwise_conv``, ``se``, ``linear_conv`` (its MobileNetV3 and
    EfficientNet), or with ``sequential=True`` the children ``0, 1, 2`` of one ``conv``
    Sequential (its MobileNetV2). torchvision's ``block.<i>`` (MobileNetV3) and ``conv.<i>``
    (MobileNetV2) are the same layers in the same order. Plugins can go after the expansion,
    after the depthwise convolution (and its SE) and after the projection, before the residual
    sum (``'after_expand'``, ``'after_depthwise'``, ``'after_project'``).

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
        drop_path_rate: Stochastic depth of the residual branch.
        with_cp: Recompute the block in the backward pass (gradient checkpointing) to save
            memory.
        sequential: Hold the layers in one ``conv`` Sequential (MobileNetV2's layout).

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
                 act_cfg: dict = dict(type='ReLU6', inplace=True),
                 drop_path_rate: float = 0.0,
                 with_cp: bool = False,
                 sequential: bool = False):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'InvertedResidual: stride must be 1 or 2, got {stride}')
        self.use_residual = stride == 1 and in_channels == out_channels
        self.with_cp = with_cp
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        layers = {}
        if mid_channels != in_channels:
            layers['expand_conv'] = ConvModule(
                in_channels, mid_channels, 1, act_cfg=act_cfg, **common)
        layers['depthwise_conv'] = ConvModule(
            mid_channels,
            mid_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=mid_channels,
            act_cfg=act_cfg,
            **common)
        if se_cfg:
            layers['se'] = MODELS.build(dict(se_cfg, in_channels=mid_channels))
        layers['linear_conv'] = ConvModule(mid_channels, out_channels, 1, act_cfg=None, **common)
        # The plugin point after each layer (SE shares the depthwise convolution's).
        self._points = dict(
            expand_conv='after_expand',
            depthwise_conv=None if se_cfg else 'after_depthwise',
            se='after_depthwise',
            linear_conv='after_project')
        self._channels = dict(
            after_expand=mid_channels, after_depthwise=mid_channels, after_project=out_channels)
        if sequential:
            self.conv = nn.Sequential(*layers.values())
        else:
            for name, layer in layers.items():
                self.add_module(name, layer)
        self._layer_names = tuple(layers)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def layers(self) -> Dict[str, nn.Module]:
        """The layers in order, by their MobileNetV3 names, whichever the layout."""
        modules = list(self.conv) if 'conv' in self._modules else \
            [getattr(self, name) for name in self._layer_names]
        return dict(zip(self._layer_names, modules))

    @property
    def plugin_points(self) -> Dict[str, int]:
        points = [self._points[name] for name in self._layer_names]
        return {point: self._channels[point] for point in points if point}

    def _forward(self, x: Tensor) -> Tensor:
        out = x
        for name, layer in self.layers().items():
            out = layer(out)
            if self._points[name]:
                out = self.forward_plugins(self._points[name], out)
        return x + self.drop_path(out) if self.use_residual else out

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)


__all__ = ['InvertedResidual']
