from typing import List, Optional, Sequence, Union

from zoo.registry import MODELS
from ..layers import ConvModule, InvertedResidual, make_divisible
from ..utils.init import TORCHVISION_INIT_CFG
from .base_backbone import BaseBackbone
from .mobilenet_utils import check_width_and_stem


@MODELS.register_module()
class MobileNetV3(BaseBackbone):
    """MobileNetV3 Small and Large (`Searching for MobileNetV3
    <https://arxiv.org/abs/1905.02244>`_), mmpretrain's ``MobileNetV3`` and torchvision's
    ``mobilenet_v3_small/large`` layer for layer.

    As in mmpretrain, every layer is a stage: ``layer0`` (3x3 convolution, stride 2,
    hard-swish), one stage per inverted residual (the rows of the paper's Tables 1 and 2,
    ``layer1`` ...), and the final 1x1 convolution (576 / 960 channels, hard-swish) as the last
    stage, so ``out_indices`` and ``frozen_stages`` count mmpretrain's layers (``frozen_stages=k``
    freezes ``layer0`` ... ``layer<k>``) and its checkpoints load strictly. Blocks marked SE
    squeeze their expansion by 4 (rounded to a multiple of 8) and gate with a hard sigmoid.
    BatchNorm uses eps 0.001 and momentum 0.01 as in torchvision and the TensorFlow original.
    torchvision's classifier is ``StackedLinearClsHead(mid_channels=[1024 or 1280],
    dropout_rate=0.2, act_cfg=dict(type='HSwish'))``: with it, Small has torchvision's
    2,542,856 parameters and Large 5,483,032; torchvision's ``features.<i>`` are the stages in
    order.

    Args:
        arch: ``'small'``, ``'small_075'``, ``'small_050'`` or ``'large'`` (rows of
            :attr:`arch_settings`; the narrowed Small rows are mmpretrain's).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution.
        out_indices: Stages whose outputs are returned; ``None`` (mmpretrain's default) is the
            last.
        frozen_stages: ``-1`` freezes nothing, ``k`` the stages ``layer0`` ... ``layer<k>``.
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        with_cp: Recompute each block in the backward pass (gradient checkpointing).
        init_cfg: Initialisation config; the default is torchvision's (Kaiming normal, fan-out,
            for convolutions; weight 1, bias 0 for norm layers).
        widen_factor: Width multiplier of every layer, rounded to multiples of 8, as
            torchvision's ``width_mult`` (zoo's; mmpretrain narrows with ``arch``).
        in_channels: Input image channels (zoo's).
        stem_stride: Stride of ``layer0``; 1 keeps 32x32 CIFAR images at full resolution into
            the first block (zoo's).
        plugins: Attention plugins for the blocks of chosen stages, at ``'after_expand'``,
            ``'after_depthwise'`` or ``'after_project'`` (the convolutions take
            ``'after_conv'``).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import MobileNetV3
        >>> model = MobileNetV3('small', out_indices=(1, 3, 8, 11, 12)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 16, 56, 56)
        (1, 24, 28, 28)
        (1, 48, 14, 14)
        (1, 96, 7, 7)
        (1, 576, 7, 7)
    """

    stem_channels = 16
    frozen_stages_inclusive = True
    # arch: one row per block (kernel, expansion channels, output channels, SE, activation,
    # stride), mmpretrain's tables.
    arch_settings = {
        'small': ((3, 16, 16, True, 'ReLU', 2),
                  (3, 72, 24, False, 'ReLU', 2),
                  (3, 88, 24, False, 'ReLU', 1),
                  (5, 96, 40, True, 'HSwish', 2),
                  (5, 240, 40, True, 'HSwish', 1),
                  (5, 240, 40, True, 'HSwish', 1),
                  (5, 120, 48, True, 'HSwish', 1),
                  (5, 144, 48, True, 'HSwish', 1),
                  (5, 288, 96, True, 'HSwish', 2),
                  (5, 576, 96, True, 'HSwish', 1),
                  (5, 576, 96, True, 'HSwish', 1)),
        'small_075': ((3, 16, 16, True, 'ReLU', 2),
                      (3, 72, 24, False, 'ReLU', 2),
                      (3, 88, 24, False, 'ReLU', 1),
                      (5, 96, 32, True, 'HSwish', 2),
                      (5, 192, 32, True, 'HSwish', 1),
                      (5, 192, 32, True, 'HSwish', 1),
                      (5, 96, 40, True, 'HSwish', 1),
                      (5, 120, 40, True, 'HSwish', 1),
                      (5, 240, 72, True, 'HSwish', 2),
                      (5, 432, 72, True, 'HSwish', 1),
                      (5, 432, 72, True, 'HSwish', 1)),
        'small_050': ((3, 16, 8, True, 'ReLU', 2),
                      (3, 40, 16, False, 'ReLU', 2),
                      (3, 56, 16, False, 'ReLU', 1),
                      (5, 64, 24, True, 'HSwish', 2),
                      (5, 144, 24, True, 'HSwish', 1),
                      (5, 144, 24, True, 'HSwish', 1),
                      (5, 72, 24, True, 'HSwish', 1),
                      (5, 72, 24, True, 'HSwish', 1),
                      (5, 144, 48, True, 'HSwish', 2),
                      (5, 288, 48, True, 'HSwish', 1),
                      (5, 288, 48, True, 'HSwish', 1)),
        'large': ((3, 16, 16, False, 'ReLU', 1),
                  (3, 64, 24, False, 'ReLU', 2),
                  (3, 72, 24, False, 'ReLU', 1),
                  (5, 72, 40, True, 'ReLU', 2),
                  (5, 120, 40, True, 'ReLU', 1),
                  (5, 120, 40, True, 'ReLU', 1),
                  (3, 240, 80, False, 'HSwish', 2),
                  (3, 200, 80, False, 'HSwish', 1),
                  (3, 184, 80, False, 'HSwish', 1),
                  (3, 184, 80, False, 'HSwish', 1),
                  (3, 480, 112, True, 'HSwish', 1),
                  (3, 672, 112, True, 'HSwish', 1),
                  (5, 672, 160, True, 'HSwish', 2),
                  (5, 960, 160, True, 'HSwish', 1),
                  (5, 960, 160, True, 'HSwish', 1)),
    }  # yapf: disable

    def __init__(self,
                 arch: str = 'small',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', eps=0.001, momentum=0.01),
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = TORCHVISION_INIT_CFG,
                 widen_factor: float = 1.0,
                 in_channels: int = 3,
                 stem_stride: int = 2,
                 plugins: Optional[List[dict]] = None):
        super().__init__(
            -1 if out_indices is None else out_indices,
            frozen_stages,
            norm_eval,
            init_cfg,
            plugins=plugins)
        rows = self.parse_arch(arch)
        check_width_and_stem(type(self).__name__, widen_factor, stem_stride)
        self.arch = arch
        self.widen_factor = widen_factor
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        hswish = dict(type='HSwish')
        se_cfg = dict(type='SELayer', ratio=4, divisor=8, gate_cfg=dict(type='Hardsigmoid'))

        def width(channels: int) -> int:
            return make_divisible(channels * widen_factor)

        channels = width(self.stem_channels)
        stages = dict(
            layer0=ConvModule(
                in_channels, channels, 3, stride=stem_stride, padding=1, act_cfg=hswish, **common))
        stage_channels = [channels]
        for i, (kernel, mid_channels, out_channels, with_se, act, stride) in enumerate(rows):
            stages[f'layer{i + 1}'] = InvertedResidual(
                channels,
                width(out_channels),
                width(mid_channels),
                kernel_size=kernel,
                stride=stride,
                se_cfg=se_cfg if with_se else None,
                act_cfg=dict(type=act),
                with_cp=with_cp,
                **common)
            channels = width(out_channels)
            stage_channels.append(channels)
        # torchvision: six times the last block's width (576 / 960 at widen_factor 1, and
        # mmpretrain's last expansion width in every row).
        last_channels = 6 * channels
        stages[f'layer{len(rows) + 1}'] = ConvModule(
            channels, last_channels, 1, act_cfg=hswish, **common)
        stage_channels.append(last_channels)
        self._set_stages(stages, stage_channels)


__all__ = ['MobileNetV3']
