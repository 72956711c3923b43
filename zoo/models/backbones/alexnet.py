from typing import List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvNormAct
from .base_backbone import BaseBackbone


@MODELS.register_module()
class AlexNet(BaseBackbone):
    """The convolutional part of AlexNet (`One weird trick for parallelizing convolutional
    neural networks <https://arxiv.org/abs/1404.5997>`_), torchvision's variant.

    Five stages, one per convolution, each followed by its ReLU and, for stages 1, 2 and 5, a
    3x3 max pool of stride 2: channels 64, 192, 384, 256, 256. Flattened, the stages hold the
    layers of torchvision's ``alexnet().features`` in the same order. torchvision's adaptive
    6x6 average pool is the ``GlobalAveragePooling(output_size=6)`` neck, its classifier a
    ``StackedLinearClsHead`` (which puts each dropout after its ReLU rather than before the
    linear layer: the same parameters). Inputs need at least 63x63 pixels.

    Args:
        in_channels: Input image channels.
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution; ``None`` (the original) for none.
        act_cfg: Activation config.
        norm_eval: Whether norm layers stay in eval mode in training.
        init_cfg: Initialisation config; ``None`` keeps PyTorch's default initialisation, which
            is what torchvision's AlexNet uses.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import AlexNet
        >>> model = AlexNet(out_indices=(0, 1, 2, 3, 4)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 64, 27, 27)
        (1, 192, 13, 13)
        (1, 384, 13, 13)
        (1, 256, 13, 13)
        (1, 256, 6, 6)
    """

    # (output channels, kernel size, stride, padding, max pool after the activation) per stage
    stage_settings = (
        (64, 11, 4, 2, True),
        (192, 5, 1, 2, True),
        (384, 3, 1, 1, False),
        (256, 3, 1, 1, False),
        (256, 3, 1, 1, True),
    )

    def __init__(self,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (4, ),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg)
        stages, stage_channels = {}, []
        for i, (channels, kernel, stride, padding, with_pool) in enumerate(self.stage_settings):
            layers = [
                ConvNormAct(in_channels, channels, kernel, stride=stride, padding=padding,
                            conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
            ]
            if with_pool:
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            stages[f'layer{i + 1}'] = nn.Sequential(*layers)
            stage_channels.append(channels)
            in_channels = channels
        self._set_stages(stages, stage_channels)


__all__ = ['AlexNet']
