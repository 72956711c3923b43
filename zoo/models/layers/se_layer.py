from typing import Optional

from torch import Tensor, nn

from zoo.registry import MODELS
from .make_divisible import make_divisible


@MODELS.register_module()
class SELayer(nn.Module):
    """Squeeze-and-excitation (`Squeeze-and-Excitation Networks
    <https://arxiv.org/abs/1709.01507>`_): global average pooling, a bottleneck of two 1x1
    convolutions, and a gate in (0, 1) that rescales every channel.

    The sub-modules ``fc1`` and ``fc2`` are named as in torchvision's ``SqueezeExcitation``
    (MobileNetV3's), so its state dict loads unchanged. With the defaults it is mmpretrain's
    SE-ResNet layer (ratio 16, squeeze channels rounded to a multiple of 8, ReLU, sigmoid);
    MobileNetV3 uses ``ratio=4`` and ``gate_cfg=dict(type='Hardsigmoid')``.

    Args:
        in_channels: Channels of the feature map (given by the block when used as a plugin).
        ratio: The squeeze width is ``make_divisible(in_channels // ratio, divisor)``.
        squeeze_channels: The squeeze width, overriding ``ratio`` and ``divisor``.
        divisor: The squeeze width is a multiple of it (1 keeps ``in_channels // ratio``).
        act_cfg: Activation between the two convolutions.
        gate_cfg: Activation that makes the channel weights (``Sigmoid``, ``Hardsigmoid``).

    Example:
        >>> import torch
        >>> se = SELayer(256, ratio=16)
        >>> se.fc1.out_channels, SELayer(64, ratio=16).fc1.out_channels  # 4 rounds up to 8
        (16, 8)
        >>> tuple(se(torch.rand(2, 256, 7, 7)).shape)
        (2, 256, 7, 7)
    """

    def __init__(self,
                 in_channels: int,
                 ratio: int = 16,
                 squeeze_channels: Optional[int] = None,
                 divisor: int = 8,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 gate_cfg: dict = dict(type='Sigmoid')):
        super().__init__()
        if squeeze_channels is None:
            if ratio <= 0:
                raise ValueError(f'SELayer: ratio must be positive, got {ratio}')
            squeeze_channels = make_divisible(in_channels // ratio, divisor)
        if squeeze_channels <= 0:
            raise ValueError(f'SELayer: squeeze_channels must be positive, got '
                             f'{squeeze_channels}')
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(in_channels, squeeze_channels, 1)
        self.act = MODELS.build(act_cfg)
        self.fc2 = nn.Conv2d(squeeze_channels, in_channels, 1)
        # zoo's registry (not mmcv's builder, which looks in MMEngine's root only) also finds
        # the activations zoo registers, such as Hardsigmoid.
        self.gate = MODELS.build(gate_cfg)

    def forward(self, x: Tensor) -> Tensor:
        scale = self.gate(self.fc2(self.act(self.fc1(self.avgpool(x)))))
        return x * scale


__all__ = ['SELayer']
