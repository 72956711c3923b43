from typing import List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvNormAct
from .base_backbone import BaseBackbone


@MODELS.register_module()
class LeNet5(BaseBackbone):
    """The convolutional part of LeNet-5 (`Gradient-Based Learning Applied to Document
    Recognition <https://ieeexplore.ieee.org/document/726791>`_), as in mmpretrain.

    Three stages, one per 5x5 convolution: ``layer1`` (conv 6, tanh, 2x2 average pool),
    ``layer2`` (conv 16, tanh, 2x2 average pool) and ``layer3`` (conv 120, tanh). A 32x32 image
    becomes a 120x1x1 feature; the classifier (``StackedLinearClsHead`` with ``mid_channels=[84]``
    and tanh) sits in the head.

    Args:
        in_channels: Input image channels (1 for grey-scale digits).
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution; ``None`` (the original) for none.
        act_cfg: Activation config; the original uses tanh.
        norm_eval: Whether norm layers stay in eval mode in training.
        init_cfg: Initialisation config; ``None`` keeps PyTorch's default initialisation.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import LeNet5
        >>> model = LeNet5(out_indices=(0, 1, 2)).eval()
        >>> for out in model(torch.rand(1, 1, 32, 32)):
        ...     print(tuple(out.shape))
        (1, 6, 14, 14)
        (1, 16, 5, 5)
        (1, 120, 1, 1)
    """

    # (output channels, average pool after the activation) per stage
    stage_settings = ((6, True), (16, True), (120, False))

    def __init__(self,
                 in_channels: int = 1,
                 out_indices: Union[int, Sequence[int]] = (2, ),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='Tanh'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg)
        stages, stage_channels = {}, []
        for i, (channels, with_pool) in enumerate(self.stage_settings):
            layers = [
                ConvNormAct(in_channels, channels, 5, padding=0, conv_cfg=conv_cfg,
                            norm_cfg=norm_cfg, act_cfg=act_cfg)
            ]
            if with_pool:
                layers.append(nn.AvgPool2d(kernel_size=2))
            stages[f'layer{i + 1}'] = nn.Sequential(*layers)
            stage_channels.append(channels)
            in_channels = channels
        self._set_stages(stages, stage_channels)


__all__ = ['LeNet5']
