import torch
from torch import Tensor, nn

from zoo.registry import MODELS
from .conv_norm_act import ConvNormAct
from .make_divisible import make_divisible


class ChannelAttention(nn.Module):
    """CBAM's channel gate: average- and max-pooled descriptors through one shared MLP (two 1x1
    convolutions with bias), summed, then a sigmoid.

    Args:
        in_channels: Channels of the feature map.
        squeeze_channels: Hidden width of the shared MLP.
        act_cfg: Activation of the MLP's hidden layer.
    """

    def __init__(self,
                 in_channels: int,
                 squeeze_channels: int,
                 act_cfg: dict = dict(type='ReLU', inplace=True)):
        super().__init__()
        self.fc1 = nn.Conv2d(in_channels, squeeze_channels, 1)
        self.act = MODELS.build(act_cfg)
        self.fc2 = nn.Conv2d(squeeze_channels, in_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        # Both descriptors go through the MLP as one batch of 2N.
        pooled = torch.cat([x.mean(dim=(2, 3), keepdim=True), x.amax(dim=(2, 3), keepdim=True)])
        avg, max_ = self.fc2(self.act(self.fc1(pooled))).chunk(2)
        return x * torch.sigmoid(avg + max_)


class SpatialAttention(nn.Module):
    """CBAM's spatial gate: the channel-wise max and mean maps, a ``k x k`` convolution to one
    map (with BatchNorm, as the authors' code), then a sigmoid.

    Args:
        kernel_size: Size of the convolution (7 in the paper).
        norm_cfg: Norm after the convolution; ``None`` for none.
    """

    def __init__(self, kernel_size: int = 7, norm_cfg: dict = dict(type='BN')):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'CBAM: kernel_size must be odd to keep the spatial size, got '
                             f'{kernel_size}')
        self.conv = ConvNormAct(2, 1, kernel_size, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(pooled))


@MODELS.register_module()
class CBAM(nn.Module):
    """Convolutional Block Attention Module (`CBAM <https://arxiv.org/abs/1807.06521>`_):
    channel attention, then spatial attention, each rescaling the feature map.

    In a ResNet bottleneck it goes after the last convolution's norm, before the residual sum
    (``position='after_conv3'``), as in the paper; CBAM-ResNet-50 then has 28.09 M parameters.

    Args:
        in_channels: Channels of the feature map (given by the block when used as a plugin).
        ratio: The channel MLP's hidden width is ``make_divisible(in_channels // ratio,
            divisor)``.
        divisor: The hidden width is a multiple of it (1, the paper's, keeps
            ``in_channels // ratio``).
        kernel_size: Kernel of the spatial attention's convolution.
        act_cfg: Activation of the channel MLP.
        norm_cfg: Norm after the spatial convolution; ``None`` for none.

    Example:
        >>> import torch
        >>> cbam = CBAM(64, ratio=16)
        >>> cbam.channel_attention.fc1
        Conv2d(64, 4, kernel_size=(1, 1), stride=(1, 1))
        >>> tuple(cbam(torch.rand(2, 64, 7, 7)).shape)
        (2, 64, 7, 7)
    """

    def __init__(self,
                 in_channels: int,
                 ratio: int = 16,
                 divisor: int = 1,
                 kernel_size: int = 7,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        if ratio <= 0:
            raise ValueError(f'CBAM: ratio must be positive, got {ratio}')
        squeeze_channels = make_divisible(in_channels // ratio, divisor, min_value=1)
        self.channel_attention = ChannelAttention(in_channels, squeeze_channels, act_cfg)
        self.spatial_attention = SpatialAttention(kernel_size, norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.spatial_attention(self.channel_attention(x))


__all__ = ['ChannelAttention', 'SpatialAttention', 'CBAM']
