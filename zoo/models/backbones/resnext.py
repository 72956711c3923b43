from typing import Optional

from zoo.registry import MODELS
from ..utils.peer import resolve_peer
from .resnet import Bottleneck, ResNet

# Cardinality when a config gives none: mmdet's ResNeXt defaults to 1 (a plain ResNet),
# mmpretrain's to 32.
PEER_GROUPS = {'mmdet': 1, 'mmpretrain': 32}


@MODELS.register_module()
class ResNeXt(ResNet):
    """ResNeXt (`Aggregated Residual Transformations for Deep Neural Networks
    <https://arxiv.org/abs/1611.05431>`_): a ResNet whose Bottleneck 3x3 convolutions are
    grouped, torchvision's ``resnext50_32x4d`` / ``resnext101_32x8d`` layer for layer, and a
    drop-in for mmdet's and mmpretrain's ``ResNeXt``.

    The 3x3 convolutions of stage ``i`` are ``floor(base_channels * 2**i * width_per_group /
    base_channels) * groups`` wide; with ``groups=1`` the width is the ResNet's, whatever
    ``width_per_group`` says (both peers' rule).

    Args:
        depth: 50, 101 or 152 (rows of :attr:`arch_settings`).
        groups: Cardinality (the 32 of 32x4d); ``None``: the peer's default (mmdet 1,
            mmpretrain 32, see :class:`ResNet`).
        width_per_group: Width of each group in the first stage (the 4 of 32x4d); canonical
            name, mmpretrain's and torchvision's. Default 4.
        base_width: mmdet's name for ``width_per_group`` (an alias; give one of the two).
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None``, see :class:`ResNet`.
        **kwargs: The other arguments of :class:`ResNet`.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import ResNeXt
        >>> model = ResNeXt(depth=50, groups=32, width_per_group=4, out_indices=(0, 1, 2, 3))
        >>> for out in model.eval()(torch.rand(1, 3, 64, 64)):
        ...     print(tuple(out.shape))
        (1, 256, 16, 16)
        (1, 512, 8, 8)
        (1, 1024, 4, 4)
        (1, 2048, 2, 2)
    """

    arch_settings = {
        depth: setting
        for depth, setting in ResNet.arch_settings.items() if setting[0] is Bottleneck
    }

    def __init__(self,
                 depth: int,
                 groups: Optional[int] = None,
                 width_per_group: Optional[int] = None,
                 base_width: Optional[int] = None,
                 peer: Optional[str] = None,
                 **kwargs):
        peer = resolve_peer(type(self).__name__, peer)
        if width_per_group is not None and base_width is not None \
                and width_per_group != base_width:
            raise ValueError(f'{type(self).__name__}: width_per_group={width_per_group} and '
                             f'base_width={base_width} (mmdet\'s name for it) disagree; give one')
        width = next((w for w in (width_per_group, base_width) if w is not None), 4)
        groups = PEER_GROUPS[peer] if groups is None else groups
        super().__init__(
            depth,
            groups=groups,
            width_per_group=None if groups == 1 else width,
            peer=peer,
            **kwargs)


__all__ = ['ResNeXt']
