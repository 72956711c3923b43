from typing import List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvNormAct, DepthwiseSeparableConv, make_divisible
from ..utils.init import TORCHVISION_INIT_CFG
from .base_backbone import BaseBackbone
from .mobilenet_utils import check_width_and_stem


@MODELS.register_module()
class MobileNetV1(BaseBackbone):
    """MobileNetV1 (`MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
    Applications <https://arxiv.org/abs/1704.04861>`_).

    A 3x3 stride-2 convolution (``conv1``), then thirteen depthwise-separable blocks in five
    stages ``layer1`` ... ``layer5``, one per output resolution (strides 2 to 32). The network is
    fully convolutional: any input size of at least 32 px works (the paper's resolution
    multiplier is just a smaller input, 128 to 224 px). With the ``GlobalAveragePooling`` neck
    and a 1000-class ``LinearClsHead`` it has the paper's 4.2 M parameters and 569 M
    multiply-adds at 224 px (Table 1: the last depthwise convolution has stride 1, the table's
    "s2" there is a misprint that would leave a 4x4 map for the 7x7 average pool).

    Args:
        widen_factor: The paper's width multiplier alpha (1.0, 0.75, 0.5, 0.25); every width is
            rounded to a multiple of 8 (:func:`~zoo.models.layers.make_divisible`), which
            leaves the paper's widths unchanged for those four values.
        in_channels: Input image channels.
        stem_stride: Stride of ``conv1``; 1 keeps 32x32 CIFAR images at full resolution into
            the first stage.
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``k`` the stem and the first
            ``k`` stages.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution.
        act_cfg: Activation after each convolution.
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        init_cfg: Initialisation config (Kaiming normal for convolutions, 1/0 for norms).
        plugins: Attention plugins for the blocks of chosen stages, at ``'after_depthwise'`` or
            ``'after_pointwise'``.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import MobileNetV1
        >>> model = MobileNetV1(widen_factor=0.5, out_indices=(0, 1, 2, 3, 4)).eval()
        >>> for out in model(torch.rand(1, 3, 160, 160)):
        ...     print(tuple(out.shape))
        (1, 32, 80, 80)
        (1, 64, 40, 40)
        (1, 128, 20, 20)
        (1, 256, 10, 10)
        (1, 512, 5, 5)
    """

    stem_channels = 32
    # One row per stage: (output channels, stride) of each depthwise-separable block.
    stage_settings = (
        ((64, 1), ),
        ((128, 2), (128, 1)),
        ((256, 2), (256, 1)),
        ((512, 2), ) + ((512, 1), ) * 5,
        ((1024, 2), (1024, 1)),
    )

    def __init__(self,
                 widen_factor: float = 1.0,
                 in_channels: int = 3,
                 stem_stride: int = 2,
                 out_indices: Union[int, Sequence[int]] = (4, ),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = TORCHVISION_INIT_CFG,
                 plugins: Optional[List[dict]] = None):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        check_width_and_stem(type(self).__name__, widen_factor, stem_stride)
        self.widen_factor = widen_factor
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        channels = make_divisible(self.stem_channels * widen_factor)
        stem = dict(conv1=ConvNormAct(in_channels, channels, 3, stride=stem_stride, **common))
        stages, stage_channels = {}, []
        for i, blocks in enumerate(self.stage_settings):
            layers = []
            for out_channels, stride in blocks:
                out_channels = make_divisible(out_channels * widen_factor)
                layers.append(
                    DepthwiseSeparableConv(channels, out_channels, stride=stride, **common))
                channels = out_channels
            stages[f'layer{i + 1}'] = nn.Sequential(*layers)
            stage_channels.append(channels)
        self._set_stages(stages, stage_channels, stem)


__all__ = ['MobileNetV1']
