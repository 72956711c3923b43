from typing import List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvModule, InvertedResidual, make_divisible
from ..utils.init import TORCHVISION_INIT_CFG, fold_pretrained
from ..utils.peer import resolve_peer
from .base_backbone import BaseBackbone
from .mobilenet_utils import check_width_and_stem


@MODELS.register_module()
class MobileNetV2(BaseBackbone):
    """MobileNetV2 (`MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`_), mmpretrain's ``MobileNetV2`` and torchvision's
    ``mobilenet_v2`` layer for layer.

    ``conv1`` (3x3, stride 2), seven stages ``layer1`` ... ``layer7`` of inverted residuals (the
    rows of the paper's Table 2), and ``conv2``, the final 1x1 convolution to 1280 channels,
    as an eighth stage (mmpretrain's layout: ``out_indices=(7, )`` is the classifier's input).
    Module names are mmpretrain's (``layer1.0.conv.0.conv.weight``), so its checkpoints load
    strictly; under ``peer='mmdet'`` they are mmdet's (``layer1.0.depthwise_conv.conv.weight``:
    ``expand_conv``, ``depthwise_conv``, ``linear_conv``), so mmdet's load strictly. With the
    ``GlobalAveragePooling`` neck and a 1000-class ``LinearClsHead`` it has torchvision's
    3,504,872 parameters; torchvision's ``features.<i>`` are ``conv1``, the blocks
    in order and ``conv2``.

    **Peer defaults** (``peer``: ``None`` follows the default scope, see
    :mod:`zoo.models.utils.peer`; an explicit argument wins): mmdet's MobileNetV2 returns
    ``out_indices=(1, 2, 4, 7)``, names its blocks' layers, and its ``frozen_stages`` leaves
    ``conv1`` in training mode (its parameters frozen, its BatchNorm statistics moving);
    mmpretrain's returns ``(7, )``. mmpretrain's leaves ``conv1`` training too; zoo does not
    follow it there: outside mmdet's scope a frozen stem is in eval mode, as every zoo
    backbone's.

    Args:
        widen_factor: Width multiplier; widths are rounded to multiples of 8, and the last
            convolution is widened but never narrowed, as in torchvision.
        in_channels: Input image channels.
        stem_stride: Stride of ``conv1``; 1 keeps 32x32 CIFAR images at full resolution into
            the first stage.
        out_indices: Stages whose outputs are returned (``(1, 2, 4, 7)`` gives strides 4, 8,
            16, 32 for a detection neck; ``None``: the peer's).
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``k`` the stem and the first
            ``k`` stages.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution.
        act_cfg: Activation of the stem, the expansions, the depthwise convolutions and
            ``conv2``.
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        with_cp: Recompute each block in the backward pass (gradient checkpointing).
        init_cfg: Initialisation config; the default is torchvision's (Kaiming normal, fan-out,
            for convolutions; weight 1, bias 0 for norm layers).
        plugins: Attention plugins for the blocks of chosen stages, at ``'after_expand'``,
            ``'after_depthwise'`` or ``'after_project'`` (``conv2`` takes ``'after_conv'``).
        pretrained: Deprecated (mmdet's): a checkpoint, meaning ``init_cfg=dict(
            type='Pretrained', checkpoint=pretrained)``.
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None`` (the default scope's), see above.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import MobileNetV2
        >>> model = MobileNetV2(out_indices=(1, 2, 4, 7)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 24, 56, 56)
        (1, 32, 28, 28)
        (1, 96, 14, 14)
        (1, 1280, 7, 7)
    """

    stem_channels = 32
    last_channels = 1280
    # One row per stage (Table 2): expansion ratio t, output channels c, blocks n, stride s.
    stage_settings = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )

    def __init__(self,
                 widen_factor: float = 1.0,
                 in_channels: int = 3,
                 stem_stride: int = 2,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6', inplace=True),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = TORCHVISION_INIT_CFG,
                 plugins: Optional[List[dict]] = None,
                 pretrained: Optional[str] = None,
                 peer: Optional[str] = None):
        self.peer = resolve_peer(type(self).__name__, peer)
        if out_indices is None:
            out_indices = (1, 2, 4, 7) if self.peer == 'mmdet' else (7, )
        if init_cfg is None and self.peer == 'mmdet':
            init_cfg = TORCHVISION_INIT_CFG  # what mmdet's init_cfg=None means
        init_cfg = fold_pretrained(type(self).__name__, pretrained, init_cfg, TORCHVISION_INIT_CFG)
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        check_width_and_stem(type(self).__name__, widen_factor, stem_stride)
        self.widen_factor = widen_factor
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        channels = make_divisible(self.stem_channels * widen_factor)
        stem = dict(
            conv1=ConvModule(in_channels, channels, 3, stride=stem_stride, padding=1, **common))
        stages, stage_channels = {}, []
        for i, (expand_ratio, width, num_blocks, stride) in enumerate(self.stage_settings):
            out_channels = make_divisible(width * widen_factor)
            blocks = []
            for j in range(num_blocks):
                blocks.append(
                    InvertedResidual(
                        channels,
                        out_channels,
                        int(round(channels * expand_ratio)),
                        stride=stride if j == 0 else 1,
                        with_cp=with_cp,
                        sequential=self.peer == 'mmpretrain',
                        **common))
                channels = out_channels
            stages[f'layer{i + 1}'] = nn.Sequential(*blocks)
            stage_channels.append(channels)
        last_channels = make_divisible(self.last_channels * max(1.0, widen_factor))
        stages['conv2'] = ConvModule(channels, last_channels, 1, **common)
        stage_channels.append(last_channels)
        self._set_stages(stages, stage_channels, stem)

    def frozen_modules(self) -> List[nn.Module]:
        modules = super().frozen_modules()
        # mmdet freezes conv1's parameters without putting it in eval mode, so its BatchNorm
        # statistics still move; zoo's own contract (and peer='mmpretrain') keeps them still
        return modules[1:] if self.peer == 'mmdet' else modules

    def _freeze_stages(self) -> None:
        super()._freeze_stages()
        if self.peer == 'mmdet' and self.frozen_stages >= 0:
            for param in self.conv1.parameters():
                param.requires_grad = False


__all__ = ['MobileNetV2']
