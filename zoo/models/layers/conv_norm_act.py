from typing import Dict, Optional, Union

from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from torch import Tensor, nn

from .plugin import PluggableBlock


class ConvNormAct(PluggableBlock, nn.Sequential):
    """A convolution, then an optional norm layer, then an optional activation.

    The layers are the children ``0``, ``1``, ``2`` of a :class:`torch.nn.Sequential`, as in
    torchvision's ``Conv2dNormActivation``, so that state-dict keys stay short and map one to one
    onto torchvision's. Unlike mmcv's ``ConvModule`` it accepts a conv bias before a BatchNorm
    without a warning: VGG-BN has one, and its published parameter count includes it.

    It takes plugins (:class:`~zoo.models.layers.plugin.PluggableBlock`) at ``'after_conv'``,
    on its output: how VGG's stages of conv layers take SE, CBAM or SRM.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Convolution kernel size.
        stride: Convolution stride.
        padding: Convolution padding; ``None`` pads ``(kernel_size - 1) // 2 * dilation``, which
            keeps the spatial size at stride 1 for odd kernels.
        dilation: Convolution dilation.
        groups: Convolution groups.
        bias: Whether the convolution has a bias; ``'auto'`` means only when there is no norm.
        conv_cfg: Convolution config for :func:`mmcv.cnn.build_conv_layer`; ``None`` is Conv2d.
        norm_cfg: Norm config for :func:`mmcv.cnn.build_norm_layer` (``dict(type='BN')``,
            ``dict(type='SyncBN')``...); ``None`` for no norm.
        act_cfg: Activation config for :func:`mmcv.cnn.build_activation_layer`; ``None`` for no
            activation.

    Example:
        >>> import torch
        >>> layer = ConvNormAct(3, 8, 3, stride=2, norm_cfg=dict(type='BN'))
        >>> [type(m).__name__ for m in layer], layer[0].bias is None
        (['Conv2d', 'BatchNorm2d', 'ReLU'], True)
        >>> tuple(layer(torch.rand(1, 3, 32, 32)).shape)
        (1, 8, 16, 16)
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 dilation: int = 1,
                 groups: int = 1,
                 bias: Union[bool, str] = 'auto',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU', inplace=True)):
        if isinstance(bias, str) and bias != 'auto':
            raise ValueError(f"ConvNormAct: bias must be a bool or 'auto', got {bias!r}")
        if bias == 'auto':
            bias = norm_cfg is None
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        layers = [
            build_conv_layer(
                conv_cfg,
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=bias)
        ]
        if norm_cfg is not None:
            layers.append(build_norm_layer(norm_cfg, out_channels)[1])
        if act_cfg is not None:
            layers.append(build_activation_layer(act_cfg))
        super().__init__(*layers)

    @property
    def plugin_points(self) -> Dict[str, int]:
        return {'after_conv': self[0].out_channels}

    def forward(self, x: Tensor) -> Tensor:
        for name, layer in self._modules.items():
            if name != 'plugins':  # the plugins run last, on the activation's output
                x = layer(x)
        return self.forward_plugins('after_conv', x)


__all__ = ['ConvNormAct']
