from typing import Dict

from mmcv.cnn import ConvModule as MMCVConvModule
from torch import Tensor

from .plugin import PluggableBlock


class ConvModule(PluggableBlock, MMCVConvModule):
    """mmcv's ``ConvModule`` (a convolution, an optional norm, an optional activation) that
    also takes plugins at ``'after_conv'``, on its output.

    Its children are mmcv's ``conv``, the norm under mmcv's name for its type (``bn``, ``gn``,
    ``ln``...) and ``activate``: the names of mmpretrain's and mmdet's published checkpoints
    (``layer1.0.conv.0.conv.weight``, ``features.0.bn.running_mean``). The arguments are
    mmcv's; :class:`ConvNormAct` is the same layer with torchvision's child names.

    Example:
        >>> import torch
        >>> layer = ConvModule(3, 8, 3, padding=1, norm_cfg=dict(type='BN'))
        >>> [name for name, _ in layer.named_children()]
        ['conv', 'bn', 'activate']
        >>> tuple(layer(torch.rand(1, 3, 16, 16)).shape)
        (1, 8, 16, 16)
    """

    @property
    def plugin_points(self) -> Dict[str, int]:
        return {'after_conv': self.conv.out_channels}

    def forward(self, x: Tensor, activate: bool = True, norm: bool = True) -> Tensor:
        return self.forward_plugins('after_conv', super().forward(x, activate, norm))


__all__ = ['ConvModule']
