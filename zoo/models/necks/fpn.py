from typing import List, Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from zoo.registry import MODELS


@MODELS.register_module()
class FPN(BaseModule):
    """Feature Pyramid Network (`Lin et al. <https://arxiv.org/abs/1612.03144>`_).

    Each used input level gets a 1x1 lateral convolution to ``out_channels``; from the top
    down, each lateral is upsampled (nearest, to the size of the level below unless
    ``upsample_cfg`` fixes a ``scale_factor``) and added to the one below; a 3x3 convolution then
    smooths every sum. Levels beyond the inputs (``num_outs`` more than the used inputs) come
    from a stride-2 max pool of the last output (Faster R-CNN) or from stride-2 3x3 convolutions
    (RetinaNet), the first of which reads the last input, lateral or output
    (``add_extra_convs``).

    Layers are mmcv ``ConvModule`` s named as in mmdet's ``FPN`` (``lateral_convs.i.conv``,
    ``fpn_convs.i.conv``, ``.bn``/``.gn`` with a norm), so the two have identical state dicts and
    outputs: an mmdet checkpoint loads into a detector whose neck is ``zoo.FPN``.

    Args:
        in_channels: Channels of each input level (a backbone's ``out_channels``).
        out_channels: Channels of every output level.
        num_outs: Number of output levels.
        start_level: First input level used (RetinaNet skips C2: ``start_level=1``).
        end_level: Last input level used, inclusive; ``-1`` is the last input. Extra levels can
            only be added on top of the last input.
        add_extra_convs: How extra levels are made: ``False`` by max pooling the last output;
            ``'on_input'`` (``True``), ``'on_lateral'`` or ``'on_output'`` by stride-2
            convolutions, the first reading the last used input, its lateral or its output, each
            later one the previous extra level.
        relu_before_extra_convs: Whether a ReLU precedes the second and later extra
            convolutions (RetinaNet's P7 reads ReLU(P6)).
        no_norm_on_lateral: Whether the lateral convolutions go without ``norm_cfg``.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config of every convolution (``None``: no norm, convolutions with bias).
        act_cfg: Activation after every convolution (``None``: none, as in the paper).
        upsample_cfg: Keyword arguments of ``F.interpolate`` for the top-down path (``mode``,
            ``align_corners``, or a fixed ``scale_factor``; never ``size``).
        init_cfg: Initialisation config; Xavier-uniform convolutions, as in mmdet.

    Example:
        >>> import torch
        >>> neck = FPN(in_channels=[64, 128, 256, 512], out_channels=32, num_outs=5,
        ...            start_level=1, add_extra_convs='on_input').eval()
        >>> inputs = [torch.rand(1, c, s, s) for c, s in zip([64, 128, 256, 512], [64, 32, 16, 8])]
        >>> for out in neck(inputs):
        ...     print(tuple(out.shape))
        (1, 32, 32, 32)
        (1, 32, 16, 16)
        (1, 32, 8, 8)
        (1, 32, 4, 4)
        (1, 32, 2, 2)
    """

    EXTRA_CONV_SOURCES = ('on_input', 'on_lateral', 'on_output')

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_outs: int,
                 start_level: int = 0,
                 end_level: int = -1,
                 add_extra_convs: Union[bool, str] = False,
                 relu_before_extra_convs: bool = False,
                 no_norm_on_lateral: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 upsample_cfg: dict = dict(mode='nearest'),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier', layer='Conv2d', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        if (isinstance(in_channels, (str, int)) or not in_channels
                or not all(isinstance(c, int) and c > 0 for c in in_channels)):
            raise ValueError(f'FPN: in_channels must be a non-empty list of positive ints, one '
                             f'per input level, got {in_channels!r}')
        if not isinstance(out_channels, int) or out_channels <= 0:
            raise ValueError(f'FPN: out_channels must be a positive int, got {out_channels!r}')
        num_ins = len(in_channels)
        if not 0 <= start_level < num_ins:
            raise ValueError(f'FPN: start_level must be in [0, {num_ins - 1}] for '
                             f'{num_ins} input levels, got {start_level}')
        if end_level in (-1, num_ins - 1):
            backbone_end_level = num_ins
            if num_outs < num_ins - start_level:
                raise ValueError(f'FPN: num_outs ({num_outs}) must be at least the number of '
                                 f'input levels used ({num_ins - start_level}: levels '
                                 f'{start_level} to {num_ins - 1})')
        else:
            if not start_level <= end_level < num_ins:
                raise ValueError(f'FPN: end_level must be -1 or in [start_level={start_level}, '
                                 f'{num_ins - 1}], got {end_level}')
            backbone_end_level = end_level + 1
            if num_outs != end_level - start_level + 1:
                raise ValueError(f'FPN: with end_level={end_level} before the last input '
                                 f'level no extra level can be added, so num_outs must be '
                                 f'{end_level - start_level + 1}, got {num_outs}')
        if add_extra_convs is True:
            add_extra_convs = 'on_input'
        if add_extra_convs is not False and add_extra_convs not in self.EXTRA_CONV_SOURCES:
            raise ValueError(f'FPN: add_extra_convs must be False, True or one of '
                             f'{self.EXTRA_CONV_SOURCES}, got {add_extra_convs!r}')
        if not isinstance(upsample_cfg, dict) or 'size' in upsample_cfg:
            raise ValueError('FPN: upsample_cfg must be a dict of F.interpolate arguments '
                             f'without "size" (it is the next level\'s), got {upsample_cfg!r}')

        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = num_ins
        self.num_outs = num_outs
        self.start_level = start_level
        self.end_level = end_level
        self.backbone_end_level = backbone_end_level
        self.add_extra_convs = add_extra_convs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.no_norm_on_lateral = no_norm_on_lateral
        self.upsample_cfg = dict(upsample_cfg)

        def conv(in_ch: int, kernel_size: int, stride: int = 1, norm: bool = True) -> ConvModule:
            return ConvModule(
                in_ch,
                out_channels,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg if norm else None,
                act_cfg=act_cfg,
                inplace=False)

        levels = range(start_level, backbone_end_level)
        self.lateral_convs = nn.ModuleList(
            conv(in_channels[i], 1, norm=not no_norm_on_lateral) for i in levels)
        # fpn_convs holds the 3x3 output convolutions, then the extra-level convolutions
        self.fpn_convs = nn.ModuleList(conv(out_channels, 3) for _ in levels)
        if add_extra_convs:
            for i in range(num_outs - len(levels)):
                first_on_input = i == 0 and add_extra_convs == 'on_input'
                source_channels = in_channels[backbone_end_level - 1] if first_on_input \
                    else out_channels
                self.fpn_convs.append(conv(source_channels, 3, stride=2))

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Build the pyramid.

        Args:
            inputs: One feature map ``(B, in_channels[i], H_i, W_i)`` per input level.

        Returns:
            ``num_outs`` maps of ``out_channels`` channels, from the finest level used.
        """
        if len(inputs) != self.num_ins:
            raise ValueError(f'FPN: expected {self.num_ins} input levels (in_channels='
                             f'{self.in_channels}), got {len(inputs)}')
        used = inputs[self.start_level:self.backbone_end_level]
        laterals = [lateral(x) for lateral, x in zip(self.lateral_convs, used)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + self._upsample(laterals[i], laterals[i - 1])
        outs = [self.fpn_convs[i](lateral) for i, lateral in enumerate(laterals)]

        num_levels = len(laterals)
        if not self.add_extra_convs:
            while len(outs) < self.num_outs:
                outs.append(F.max_pool2d(outs[-1], 1, stride=2))
            return tuple(outs)
        if self.num_outs > num_levels:
            source = {
                'on_input': used[-1],
                'on_lateral': laterals[-1],
                'on_output': outs[-1]
            }[self.add_extra_convs]
            outs.append(self.fpn_convs[num_levels](source))
            for conv in self.fpn_convs[num_levels + 1:]:
                outs.append(conv(F.relu(outs[-1]) if self.relu_before_extra_convs else outs[-1]))
        return tuple(outs)

    def _upsample(self, coarse: Tensor, fine: Tensor) -> Tensor:
        if 'scale_factor' in self.upsample_cfg:
            return F.interpolate(coarse, **self.upsample_cfg)
        return F.interpolate(coarse, size=fine.shape[2:], **self.upsample_cfg)


__all__ = ['FPN']
