from typing import List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvNormAct
from .base_backbone import BaseBackbone


def vgg_convs(in_channels: int, out_channels: int, num_convs: int, conv_cfg: Optional[dict],
              norm_cfg: Optional[dict], act_cfg: Optional[dict]) -> List[ConvNormAct]:
    """The 3x3 convolutions of one VGG stage, each with its norm and activation.

    The convolutions keep their bias even before a norm layer, as torchvision's VGG-BN does.
    """
    return [
        ConvNormAct(in_channels if i == 0 else out_channels, out_channels, 3, padding=1,
                    bias=True, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        for i in range(num_convs)
    ]


@MODELS.register_module()
class VGG(BaseBackbone):
    """The convolutional part of VGG (`Very Deep Convolutional Networks for Large-Scale Image
    Recognition <https://arxiv.org/abs/1409.1556>`_), with or without BatchNorm.

    Five stages of 3x3 convolutions (64, 128, 256, 512, 512 channels), each convolution followed
    by its norm (VGG-BN) and ReLU, each stage ending with a 2x2 max pool. Flattened, the stages
    hold the layers of torchvision's ``vgg{depth}[_bn]().features`` in the same order; as there,
    the convolutions keep their bias even before a BatchNorm. torchvision's adaptive 7x7 average
    pool is the ``GlobalAveragePooling(output_size=7)`` neck, its classifier a
    ``StackedLinearClsHead``.

    Args:
        depth: 11, 13, 16 or 19 (rows of :attr:`arch_settings`).
        in_channels: Input image channels.
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: ``None`` for VGG, ``dict(type='BN')`` (or ``SyncBN``...) for VGG-BN.
        act_cfg: Activation config.
        norm_eval: Whether norm layers stay in eval mode in training.
        init_cfg: Initialisation config; the default is torchvision's (Kaiming normal, fan-out,
            for convolutions; weight 1, bias 0 for norm layers).
        plugins: Attention plugins after the conv layers of chosen stages (position
            ``'after_conv'``, on each layer's activation output).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import VGG
        >>> model = VGG(depth=11, norm_cfg=dict(type='BN'), out_indices=(0, 1, 2, 3, 4)).eval()
        >>> for out in model(torch.rand(1, 3, 64, 64)):
        ...     print(tuple(out.shape))
        (1, 64, 32, 32)
        (1, 128, 16, 16)
        (1, 256, 8, 8)
        (1, 512, 4, 4)
        (1, 512, 2, 2)
    """

    # depth: number of 3x3 convolutions in each of the five stages
    arch_settings = {
        11: (1, 1, 2, 2, 2),
        13: (2, 2, 2, 2, 2),
        16: (2, 2, 3, 3, 3),
        19: (2, 2, 4, 4, 4),
    }
    widths = (64, 128, 256, 512, 512)

    def __init__(self,
                 depth: int,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (4, ),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
                 ],
                 plugins: Optional[List[dict]] = None):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        if depth not in self.arch_settings:
            raise ValueError(f'{type(self).__name__}: depth {depth!r} is not one of '
                             f'{sorted(self.arch_settings)}')
        self.depth = depth
        stages = {}
        for i, (num_convs, channels) in enumerate(zip(self.arch_settings[depth], self.widths)):
            convs = vgg_convs(in_channels, channels, num_convs, conv_cfg, norm_cfg, act_cfg)
            stages[f'layer{i + 1}'] = nn.Sequential(*convs, nn.MaxPool2d(kernel_size=2, stride=2))
            in_channels = channels
        self._set_stages(stages, self.widths)


__all__ = ['VGG', 'vgg_convs']
