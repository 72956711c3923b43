from typing import Optional, Sequence, Union

from torch import Tensor, nn

from zoo.registry import MODELS
from .conv_module import ConvModule
from .make_divisible import make_divisible


@MODELS.register_module()
class SELayer(nn.Module):
    """Squeeze-and-excitation (`Squeeze-and-Excitation Networks
    <https://arxiv.org/abs/1709.01507>`_): global average pooling, a bottleneck of two 1x1
    convolutions, and a gate in (0, 1) that rescales every channel.

    mmpretrain's ``SELayer`` (the one of its SE-ResNets and MobileNetV3): the convolutions are
    mmcv ``ConvModule`` s ``conv1`` and ``conv2`` (keys ``conv1.conv.weight``...), so its
    published checkpoints load; torchvision's ``SqueezeExcitation`` ``fc1``/``fc2`` are the
    same two convolutions. With the defaults it is SE-ResNet's layer (ratio 16, squeeze
    channels rounded to a multiple of 8, ReLU, sigmoid); MobileNetV3 uses ``ratio=4`` and a
    hard sigmoid gate.

    Args:
        in_channels: Channels of the feature map (given by the block when used as a plugin);
            mmpretrain's ``channels`` is accepted as an alias.
        ratio: The squeeze width is ``make_divisible(in_channels // ratio, divisor)``.
        squeeze_channels: The squeeze width, overriding ``ratio`` and ``divisor``.
        divisor: The squeeze width is a multiple of it (1 keeps ``in_channels // ratio``).
        act_cfg: Activation between the two convolutions; or, as in mmpretrain, a pair of
            configs ``(activation, gate)``.
        gate_cfg: Activation that makes the channel weights (``Sigmoid``, ``Hardsigmoid``,
            mmcv's ``HSigmoid``); ignored when ``act_cfg`` is a pair.
        bias: Whether the convolutions have a bias (``'auto'``: yes, as they have no norm).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        return_weight: Return the channel weights instead of the rescaled input.
        channels: mmpretrain's name of ``in_channels``.

    Example:
        >>> import torch
        >>> se = SELayer(256, ratio=16)
        >>> se.conv1.conv.out_channels, SELayer(64, ratio=16).conv1.conv.out_channels
        (16, 8)
        >>> tuple(se(torch.rand(2, 256, 7, 7)).shape)
        (2, 256, 7, 7)
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 ratio: int = 16,
                 squeeze_channels: Optional[int] = None,
                 divisor: int = 8,
                 act_cfg: Union[dict, Sequence[dict]] = dict(type='ReLU', inplace=True),
                 gate_cfg: dict = dict(type='Sigmoid'),
                 bias: Union[bool, str] = 'auto',
                 conv_cfg: Optional[dict] = None,
                 return_weight: bool = False,
                 channels: Optional[int] = None):
        super().__init__()
        if (in_channels is None) == (channels is None):
            raise ValueError('SELayer: give the channels once, as in_channels (or its alias '
                             f'channels), got in_channels={in_channels}, channels={channels}')
        in_channels = in_channels if channels is None else channels
        if not isinstance(act_cfg, dict):
            if len(act_cfg) != 2 or not all(isinstance(cfg, dict) for cfg in act_cfg):
                raise ValueError(f'SELayer: act_cfg must be a dict or a pair of dicts '
                                 f'(activation, gate), got {act_cfg!r}')
            act_cfg, gate_cfg = act_cfg
        if squeeze_channels is None:
            if ratio <= 0:
                raise ValueError(f'SELayer: ratio must be positive, got {ratio}')
            squeeze_channels = make_divisible(in_channels // ratio, divisor)
        if squeeze_channels <= 0:
            raise ValueError(f'SELayer: squeeze_channels must be positive, got '
                             f'{squeeze_channels}')
        self.return_weight = return_weight
        self.global_avgpool = nn.AdaptiveAvgPool2d(1)
        self.conv1 = ConvModule(
            in_channels, squeeze_channels, 1, bias=bias, conv_cfg=conv_cfg, act_cfg=None)
        self.conv1.activate = MODELS.build(act_cfg)
        self.conv1.with_activation = True
        # zoo's registry (not mmcv's builder, which looks in MMEngine's root only) also finds
        # the activations zoo registers, such as Hardsigmoid.
        self.conv2 = ConvModule(
            squeeze_channels, in_channels, 1, bias=bias, conv_cfg=conv_cfg, act_cfg=None)
        self.conv2.activate = MODELS.build(gate_cfg)
        self.conv2.with_activation = True

    def forward(self, x: Tensor) -> Tensor:
        weight = self.conv2(self.conv1(self.global_avgpool(x)))
        return weight if self.return_weight else x * weight


__all__ = ['SELayer']
