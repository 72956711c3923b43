from zoo.registry import MODELS
from .resnet import Bottleneck, ResNet


@MODELS.register_module()
class ResNeXt(ResNet):
    """ResNeXt (`Aggregated Residual Transformations for Deep Neural Networks
    <https://arxiv.org/abs/1611.05431>`_): a ResNet whose Bottleneck 3x3 convolutions are
    grouped, torchvision's ``resnext50_32x4d`` / ``resnext101_32x8d`` layer for layer.

    Args:
        depth: 50, 101 or 152 (rows of :attr:`arch_settings`).
        groups: Cardinality (the 32 of 32x4d).
        width_per_group: Width of each group in the first stage (the 4 of 32x4d).
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

    def __init__(self, depth: int, groups: int = 32, width_per_group: int = 4, **kwargs):
        super().__init__(depth, groups=groups, width_per_group=width_per_group, **kwargs)


__all__ = ['ResNeXt']
