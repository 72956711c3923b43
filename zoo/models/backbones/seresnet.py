from typing import List, Optional

from zoo.registry import MODELS
from .resnet import Bottleneck, ResNet
from .resnext import ResNeXt


def se_plugins(se_ratio: int, plugins: Optional[List[dict]]) -> List[dict]:
    """mmpretrain's SE-ResNet layout as a plugin: an SE layer after the last norm of every
    Bottleneck, before the residual sum (the child ``se_layer``, as mmpretrain names it)."""
    return [dict(cfg=dict(type='SELayer', ratio=se_ratio), position='after_conv3')] + \
        list(plugins or [])


@MODELS.register_module()
class SEResNet(ResNet):
    """SE-ResNet (`Squeeze-and-Excitation Networks <https://arxiv.org/abs/1709.01507>`_,
    mmpretrain's ``SEResNet``): a ResNet-50/101/152 with a squeeze-excitation
    (:class:`~zoo.models.layers.SELayer`) after the last convolution of every block.

    Args:
        depth: 50, 101 or 152.
        se_ratio: Squeeze ratio of the SE layers.
        **kwargs: The other arguments of :class:`ResNet` (``plugins`` adds to the SE layers).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import SEResNet
        >>> model = SEResNet(depth=50).eval()
        >>> tuple(model(torch.rand(1, 3, 64, 64))[-1].shape), type(model.layer1[0].se_layer)
        ((1, 2048, 2, 2), <class 'zoo.models.layers.se_layer.SELayer'>)
    """

    arch_settings = {
        depth: setting
        for depth, setting in ResNet.arch_settings.items() if setting[0] is Bottleneck
    }

    def __init__(self,
                 depth: int,
                 se_ratio: int = 16,
                 plugins: Optional[List[dict]] = None,
                 **kwargs):
        super().__init__(depth, plugins=se_plugins(se_ratio, plugins), **kwargs)


@MODELS.register_module()
class SEResNeXt(ResNeXt):
    """SE-ResNeXt (mmpretrain's ``SEResNeXt``): :class:`ResNeXt` with :class:`SEResNet`'s
    squeeze-excitation after the last convolution of every block.

    Args:
        depth: 50, 101 or 152.
        se_ratio: Squeeze ratio of the SE layers.
        **kwargs: The other arguments of :class:`ResNeXt` (``groups``, ``width_per_group``...).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import SEResNeXt
        >>> model = SEResNeXt(depth=50, groups=32, width_per_group=4).eval()
        >>> tuple(model(torch.rand(1, 3, 64, 64))[-1].shape)
        (1, 2048, 2, 2)
    """

    def __init__(self,
                 depth: int,
                 se_ratio: int = 16,
                 plugins: Optional[List[dict]] = None,
                 **kwargs):
        super().__init__(depth, plugins=se_plugins(se_ratio, plugins), **kwargs)


__all__ = ['SEResNet', 'SEResNeXt']
