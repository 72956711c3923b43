import math
from typing import Dict, List, Optional, Sequence, Type, Union

import torch
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule, build_conv_layer, build_norm_layer
from mmengine.model import constant_init
from torch import Tensor, nn

from zoo.registry import MODELS
from ..layers import DropPath, PluggableBlock
from ..utils.init import TORCHVISION_INIT_CFG, fold_pretrained, loads_checkpoint
from ..utils.peer import resolve_peer
from .base_backbone import BaseBackbone

# Where the stride of a Bottleneck goes: on its 3x3 convolution ('pytorch', torchvision's
# ResNet v1.5) or on its first 1x1 convolution ('caffe', the original ResNet v1).
STYLES = ('pytorch', 'caffe')

# The defaults on which mmdet's ResNet and mmpretrain's disagree (see zoo.models.utils.peer).
PEER_DEFAULTS = {
    'mmdet': dict(out_indices=(0, 1, 2, 3), norm_eval=True),
    'mmpretrain': dict(out_indices=(3, ), norm_eval=False),
}


def build_dcn_conv(dcn: dict, *args, **kwargs) -> nn.Module:
    """mmcv's deformable convolution (``dict(type='DCN')``, ``'DCNv2'``...), as mmdet builds it.

    mmcv registers these types when ``mmcv.ops`` is imported; it is imported here, only when a
    config asks for one, so that every other path runs without mmcv's compiled ops.
    """
    try:
        import mmcv.ops  # noqa: F401  (registers DCN, DCNv2, ...)
    except ImportError as error:
        raise ImportError(f'dcn={dcn!r} needs mmcv.ops (mmcv built with its ops): {error}') \
            from error
    return build_conv_layer(dcn, *args, **kwargs)


class ResBlock(PluggableBlock):
    """What :class:`BasicBlock` and :class:`Bottleneck` share: norm layers named as
    ``build_norm_layer`` names them (``bn1`` for BatchNorm, ``gn1`` for GroupNorm...: mmdet's and
    mmpretrain's keys), mmdet's plugin names (``context_block``, ``gen_attention_block``...),
    gradient checkpointing (``with_cp``) and stochastic depth on the residual branch."""

    plugin_naming = 'abbr'

    def add_norm(self, index: int, norm_cfg: dict, channels: int) -> None:
        name, norm = build_norm_layer(norm_cfg, channels, postfix=index)
        self.add_module(name, norm)
        self.__dict__.setdefault('norm_names', []).append(name)

    def norm(self, index: int) -> nn.Module:
        """The ``index``-th norm layer (1-based), whatever its type."""
        return self._modules[self.norm_names[index - 1]]

    @property
    def last_norm(self) -> nn.Module:
        """The norm layer before the residual sum, zeroed by ``zero_init_residual``."""
        return self.norm(len(self.norm_names))

    def residual(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:

        def inner_forward(x: Tensor) -> Tensor:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.residual(x)
            if self.drop_path is not None:
                out = self.drop_path(out)
            return out + identity

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(inner_forward, x, use_reentrant=True)
        else:
            out = inner_forward(x)
        return self.relu(out)


class BasicBlock(ResBlock):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34).

    Sub-modules: ``conv1``, ``bn1``, ``relu``, ``conv2``, ``bn2``, ``downsample`` (norm names follow
    the norm type: ``gn1`` for GroupNorm), as in torchvision, mmdet and mmpretrain. As in both
    peers, the dilation applies to ``conv1`` only. Plugins can go after the first convolution's
    activation (``'after_conv1'``) and after the second one's norm, before the residual sum
    (``'after_conv2'``).

    Args:
        in_channels: Input channels.
        planes: Output channels of the block divided by :attr:`expansion` (here 1).
        stride: Stride of the first convolution.
        downsample: Module that maps the input to the residual's shape, if it differs.
        groups: Must be 1 (grouped convolutions need a :class:`Bottleneck`).
        width_per_group: Must be ``None`` or ``base_channels``.
        base_channels: The ``planes`` of the first stage.
        dilation: Dilation of the first convolution.
        style: 'pytorch' or 'caffe'. A BasicBlock has one strided convolution, so both build the
            same block (mmdet's and mmpretrain's BasicBlock take and ignore it alike).
        expansion: Must be 1 (or ``None``).
        with_cp: Recompute the block in the backward pass instead of keeping its activations.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config.
        dcn: Must be ``None`` (mmdet has no deformable BasicBlock either).
        drop_path_rate: Stochastic depth rate of the residual branch.
    """

    expansion = 1

    def __init__(self,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 groups: int = 1,
                 width_per_group: Optional[int] = None,
                 base_channels: int = 64,
                 dilation: int = 1,
                 style: str = 'pytorch',
                 expansion: Optional[int] = None,
                 with_cp: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 dcn: Optional[dict] = None,
                 drop_path_rate: float = 0.0):
        super().__init__()
        if groups != 1 or width_per_group not in (None, base_channels):
            raise ValueError('BasicBlock (ResNet-18/34) supports only groups=1 and '
                             f'width_per_group (ResNeXt: base_width) = base_channels '
                             f'({base_channels}), got groups={groups}, '
                             f'width_per_group={width_per_group}')
        if style not in STYLES:
            raise ValueError(f'BasicBlock: style must be one of {STYLES}, got {style!r}')
        if expansion not in (None, 1):
            raise ValueError(f'BasicBlock: expansion must be 1, got {expansion}')
        if dcn is not None:
            raise ValueError(f'BasicBlock (ResNet-18/34): dcn is supported in Bottleneck blocks '
                             f'(depth 50, 101, 152) only, as in mmdet; got dcn={dcn!r}')
        self.with_cp = with_cp
        self.conv1 = build_conv_layer(
            conv_cfg,
            in_channels,
            planes,
            3,
            stride=stride,
            padding=dilation,
            dilation=dilation,
            bias=False)
        self.add_norm(1, norm_cfg, planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = build_conv_layer(conv_cfg, planes, planes, 3, padding=1, bias=False)
        self.add_norm(2, norm_cfg, planes)
        self.downsample = downsample
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else None

    @property
    def plugin_points(self) -> Dict[str, int]:
        return dict(after_conv1=self.conv1.out_channels, after_conv2=self.conv2.out_channels)

    def residual(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm(1)(self.conv1(x)))
        out = self.forward_plugins('after_conv1', out)
        out = self.norm(2)(self.conv2(out))
        return self.forward_plugins('after_conv2', out)


class Bottleneck(ResBlock):
    """1x1, 3x3 (optionally grouped or deformable) and 1x1 convolutions with a residual
    connection.

    Sub-modules: ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``conv3``, ``bn3``, ``relu``,
    ``downsample`` (``gn1``... for GroupNorm), as in torchvision, mmdet and mmpretrain. The inner
    width is ``planes`` without groups, else ``floor(planes * width_per_group / base_channels) *
    groups`` (128 in the first stage of ResNeXt-50 32x4d), the rule of mmdet's and mmpretrain's
    ResNeXt. Plugins can go after the first two convolutions' activations (``'after_conv1'``,
    ``'after_conv2'``) and after the last one's norm, before the residual sum
    (``'after_conv3'``), as in mmdet.

    Args:
        in_channels: Input channels.
        planes: Output channels of the block divided by ``expansion``.
        stride: Stride of the block, on ``conv2`` ('pytorch' style) or ``conv1`` ('caffe').
        downsample: Module that maps the input to the residual's shape, if it differs.
        groups: Groups of the 3x3 convolution (the cardinality of ResNeXt).
        width_per_group: Width of each group for ``planes=base_channels`` (4 for 32x4d;
            ``None``: ``base_channels``).
        base_channels: The ``planes`` of the first stage.
        dilation: Dilation of the 3x3 convolution.
        style: 'pytorch' or 'caffe', see above.
        expansion: Output channels over ``planes`` (``None``: 4; mmpretrain's Wide-ResNet: 2).
        with_cp: Recompute the block in the backward pass instead of keeping its activations.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config.
        dcn: mmcv deformable convolution config for ``conv2`` (mmdet's ``dcn``), e.g.
            ``dict(type='DCNv2', deform_groups=1, fallback_on_stride=False)``.
        drop_path_rate: Stochastic depth rate of the residual branch.
    """

    expansion = 4

    def __init__(self,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 groups: int = 1,
                 width_per_group: Optional[int] = None,
                 base_channels: int = 64,
                 dilation: int = 1,
                 style: str = 'pytorch',
                 expansion: Optional[int] = None,
                 with_cp: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 dcn: Optional[dict] = None,
                 drop_path_rate: float = 0.0):
        super().__init__()
        if style not in STYLES:
            raise ValueError(f'Bottleneck: style must be one of {STYLES}, got {style!r}')
        out_channels = planes * (expansion or self.expansion)
        width = planes
        if groups != 1 or width_per_group not in (None, base_channels):
            width = math.floor(planes * (width_per_group or base_channels) / base_channels) * groups
        conv1_stride, conv2_stride = (1, stride) if style == 'pytorch' else (stride, 1)
        self.with_cp = with_cp
        self.conv1 = build_conv_layer(
            conv_cfg, in_channels, width, 1, stride=conv1_stride, bias=False)
        self.add_norm(1, norm_cfg, width)
        conv2_args = (width, width, 3)
        conv2_kwargs = dict(
            stride=conv2_stride, padding=dilation, dilation=dilation, groups=groups, bias=False)
        dcn = dict(dcn) if dcn is not None else None
        if dcn is not None and not dcn.pop('fallback_on_stride', False):
            if conv_cfg is not None:
                raise ValueError(f'Bottleneck: conv_cfg must be None with dcn (mmdet\'s rule), '
                                 f'got conv_cfg={conv_cfg!r}')
            self.conv2 = build_dcn_conv(dcn, *conv2_args, **conv2_kwargs)
        else:
            self.conv2 = build_conv_layer(conv_cfg, *conv2_args, **conv2_kwargs)
        self.add_norm(2, norm_cfg, width)
        self.conv3 = build_conv_layer(conv_cfg, width, out_channels, 1, bias=False)
        self.add_norm(3, norm_cfg, out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else None

    @property
    def plugin_points(self) -> Dict[str, int]:
        return dict(
            after_conv1=self.conv1.out_channels,
            after_conv2=self.conv2.out_channels,
            after_conv3=self.conv3.out_channels)

    def residual(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm(1)(self.conv1(x)))
        out = self.forward_plugins('after_conv1', out)
        out = self.relu(self.norm(2)(self.conv2(out)))
        out = self.forward_plugins('after_conv2', out)
        out = self.norm(3)(self.conv3(out))
        return self.forward_plugins('after_conv3', out)


class ResLayer(nn.Sequential):
    """One ResNet stage: ``num_blocks`` blocks, the first of which changes stride and width.

    The first block gets a ``downsample`` (1x1 convolution and norm, ``downsample.0`` /
    ``downsample.1``) when its input and output shapes differ; with ``avg_down`` (ResNet-D) an
    average pool does the striding before a stride-1 convolution (``downsample.0`` is the pool).

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        num_blocks: Number of blocks.
        in_channels: Input channels of the stage.
        planes: ``planes`` of each block; the stage outputs ``planes * expansion``.
        stride: Stride of the first block.
        avg_down: Downsample the shortcut with an average pool, see above.
        pool_at_stride_1: With ``avg_down``, also put the (1x1, identity) pool into a stride-1
            shortcut, as mmdet does (its keys then start at ``downsample.1``); mmpretrain does
            not.
        expansion: Output channels over ``planes`` (``None``: the block's).
        conv_cfg: Convolution config.
        norm_cfg: Norm config.
        drop_path_rates: Stochastic depth rate of each block (``None``: none).
        **block_kwargs: ``groups``, ``width_per_group``, ``dilation``, ``style``, ``dcn``...
            for every block.
    """

    def __init__(self,
                 block: Type[Union[BasicBlock, Bottleneck]],
                 num_blocks: int,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 avg_down: bool = False,
                 pool_at_stride_1: bool = False,
                 expansion: Optional[int] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 drop_path_rates: Optional[Sequence[float]] = None,
                 **block_kwargs):
        out_channels = planes * (expansion or block.expansion)
        drop_path_rates = drop_path_rates or [0.0] * num_blocks
        downsample = None
        if stride != 1 or in_channels != out_channels:
            layers: List[nn.Module] = []
            conv_stride = stride
            if avg_down and (stride != 1 or pool_at_stride_1):
                conv_stride = 1
                layers.append(
                    nn.AvgPool2d(
                        kernel_size=stride, stride=stride, ceil_mode=True, count_include_pad=False))
            layers += [
                build_conv_layer(
                    conv_cfg, in_channels, out_channels, 1, stride=conv_stride, bias=False),
                build_norm_layer(norm_cfg, out_channels)[1]
            ]
            downsample = nn.Sequential(*layers)
        blocks = []
        for i in range(num_blocks):
            blocks.append(
                block(
                    in_channels if i == 0 else out_channels,
                    planes,
                    stride if i == 0 else 1,
                    downsample if i == 0 else None,
                    expansion=expansion,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    drop_path_rate=drop_path_rates[i],
                    **block_kwargs))
        super().__init__(*blocks)


@MODELS.register_module()
class ResNet(BaseBackbone):
    """ResNet (`Deep Residual Learning for Image Recognition
    <https://arxiv.org/abs/1512.03385>`_), a drop-in for both mmdet 3.3's and mmpretrain 1.2's
    ``ResNet``, torchvision's v1.5 by default.

    The stem is ``conv1`` (7x7, stride 2), ``bn1``, ``relu``, ``maxpool`` (3x3, stride 2), or,
    with ``deep_stem`` (ResNet-C), ``stem`` (three 3x3 convolutions) and ``maxpool``; the stages
    are ``layer1`` ... ``layer4``. The state dict equals that of ``torchvision.models.resnet
    {depth}()`` without ``fc.*``, and that of mmdet's and mmpretrain's ResNet of the same
    arguments (norm layers named by their type: ``gn1`` for GroupNorm; plugins as mmdet names
    them: ``context_block``...), so any of their checkpoints loads directly:
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``, with ``prefix='backbone.'`` for a
    classifier or detector checkpoint.

    **Peer defaults.** mmdet's and mmpretrain's ResNet disagree on defaults and on two layouts.
    ``peer`` says whose this module follows; ``None`` (the default) means mmdet's when the current
    default scope is ``'mmdet'`` (an mmdet config, Runner or ``register_all_modules``), and
    mmpretrain's otherwise (zoo's own configs, mmpretrain's). An argument given explicitly always
    wins. What follows the peer:

    ============================ =================== =====================
    argument / layout            ``peer='mmdet'``    ``peer='mmpretrain'``
    ============================ =================== =====================
    ``out_indices``              ``(0, 1, 2, 3)``    ``(3, )``
    ``norm_eval``                ``True``            ``False``
    ``stem_channels``            ``base_channels``   64
    ``deep_stem`` keys           ``stem.0``, ``.1``  ``stem.0.conv``, ``.bn``
    ``avg_down``, stride-1 stage pool, ``.1`` conv   no pool, ``.0`` conv
    ``zero_init_residual``       only without        unless ``init_cfg``
                                 ``init_cfg``        loads a checkpoint
    ============================ =================== =====================

    Args:
        depth: 18, 34, 50, 101 or 152 (rows of :attr:`arch_settings`).
        in_channels: Input image channels.
        stem_channels: Output channels of the stem (``None``: the peer's, above).
        base_channels: ``planes`` of the first stage (64); stage ``i`` has ``base_channels *
            2**i`` and outputs ``expansion`` times that.
        expansion: Output channels of a block over its ``planes`` (``None``: the block's, 1 or
            4; mmpretrain's Wide-ResNet-50-2 is ``base_channels=128, expansion=2``).
        num_stages: Number of stages built, 1 to 4.
        strides: Stride of the first block of each stage.
        dilations: Dilation of the 3x3 convolutions of each stage.
        out_indices: Stages whose outputs are returned (``None``: the peer's, above).
        style: 'pytorch' (stride on the 3x3 convolution of a Bottleneck, torchvision's v1.5) or
            'caffe' (stride on the first 1x1, the original v1).
        deep_stem: Replace the 7x7 stem convolution by three 3x3 ones (ResNet-C).
        avg_down: Downsample shortcuts with an average pool and a stride-1 convolution (ResNet-D).
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``k`` the stem and the first
            ``k`` stages.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config (``dict(type='SyncBN')``, ``dict(type='GN', num_groups=32)``,
            ``requires_grad=False``...).
        norm_eval: Whether BatchNorm layers stay in eval mode in training (``None``: the
            peer's, above).
        dcn: mmcv deformable convolution config for the 3x3 convolutions of the stages in
            ``stage_with_dcn`` (mmdet's; Bottleneck depths only; needs ``mmcv.ops``).
        stage_with_dcn: One flag a stage.
        plugins: Attention plugins for the blocks of chosen stages (mmdet's format), e.g.
            ``[dict(cfg=dict(type='ContextBlock', ratio=1. / 4), stages=(False, True, True,
            True), position='after_conv3')]``, or SE-ResNet's ``dict(cfg=dict(type='SELayer',
            ratio=16), position='after_conv3')``; positions are those of :class:`BasicBlock` and
            :class:`Bottleneck`, a cfg's ``postfix`` tells apart two plugins of one type.
        with_cp: Gradient checkpointing of every block (less memory, more compute).
        zero_init_residual: Whether :meth:`init_weights` zeroes the last norm of each block, so
            that each block starts as the identity (`Goyal et al.
            <https://arxiv.org/abs/1706.02677>`_); see the table for when it is skipped.
        pretrained: Deprecated (mmdet's): a checkpoint path, turned into ``init_cfg=dict(
            type='Pretrained', checkpoint=pretrained)`` with mmdet's warning.
        init_cfg: Initialisation config; the default is torchvision's (Kaiming normal, fan-out,
            for convolutions; weight 1, bias 0 for norm layers), as in both peers.
        drop_path_rate: Stochastic depth rate of the last block, rising linearly from 0 at the
            first (mmpretrain's).
        groups: Groups of the Bottleneck 3x3 convolutions.
        width_per_group: Width of each group for ``base_channels`` planes (``None``:
            ``base_channels``; torchvision's Wide ResNet is ``width_per_group=128``).
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None`` (the default scope's), see above.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import ResNet
        >>> model = ResNet(depth=18, out_indices=(0, 1, 2, 3)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 64, 56, 56)
        (1, 128, 28, 28)
        (1, 256, 14, 14)
        (1, 512, 7, 7)
    """

    # depth: (block, number of blocks in each stage)
    arch_settings = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
        152: (Bottleneck, (3, 8, 36, 3)),
    }

    def __init__(self,
                 depth: int,
                 in_channels: int = 3,
                 stem_channels: Optional[int] = None,
                 base_channels: int = 64,
                 expansion: Optional[int] = None,
                 num_stages: int = 4,
                 strides: Sequence[int] = (1, 2, 2, 2),
                 dilations: Sequence[int] = (1, 1, 1, 1),
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 style: str = 'pytorch',
                 deep_stem: bool = False,
                 avg_down: bool = False,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: Optional[bool] = None,
                 dcn: Optional[dict] = None,
                 stage_with_dcn: Sequence[bool] = (False, False, False, False),
                 plugins: Optional[List[dict]] = None,
                 with_cp: bool = False,
                 zero_init_residual: bool = True,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = TORCHVISION_INIT_CFG,
                 drop_path_rate: float = 0.0,
                 groups: int = 1,
                 width_per_group: Optional[int] = None,
                 peer: Optional[str] = None):
        name = type(self).__name__
        self.peer = resolve_peer(name, peer)
        defaults = PEER_DEFAULTS[self.peer]
        out_indices = defaults['out_indices'] if out_indices is None else out_indices
        norm_eval = defaults['norm_eval'] if norm_eval is None else norm_eval
        init_cfg, self.zero_init_residual = self._init_options(init_cfg, pretrained,
                                                               zero_init_residual)
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        block, stage_blocks = self.parse_arch(depth, argument='depth')
        if not 1 <= num_stages <= 4:
            raise ValueError(f'{name}: num_stages must be in [1, 4], got {num_stages}')
        if len(strides) != num_stages or len(dilations) != num_stages:
            raise ValueError(f'{name}: strides {tuple(strides)} and dilations {tuple(dilations)} '
                             f'need one entry per stage (num_stages={num_stages})')
        if dcn is not None and len(stage_with_dcn) != num_stages:
            raise ValueError(f'{name}: stage_with_dcn {tuple(stage_with_dcn)} needs one flag per '
                             f'stage (num_stages={num_stages})')
        if style not in STYLES:
            raise ValueError(f'{name}: style must be one of {STYLES}, got {style!r}')
        if stem_channels is None:
            stem_channels = base_channels if self.peer == 'mmdet' else 64
        self.depth = depth
        self.deep_stem = deep_stem
        self.stem_channels = stem_channels
        self.base_channels = base_channels

        stem = self.build_stem(in_channels, stem_channels, conv_cfg, norm_cfg)
        # mmpretrain's decay rule: linear over all blocks of the architecture
        rates = torch.linspace(0, drop_path_rate, sum(stage_blocks), device='cpu').tolist()
        stages, stage_channels = {}, []
        channels = stem_channels
        for i in range(num_stages):
            planes = base_channels * 2**i
            stages[f'layer{i + 1}'] = ResLayer(
                block,
                stage_blocks[i],
                channels,
                planes,
                stride=strides[i],
                avg_down=avg_down,
                pool_at_stride_1=self.peer == 'mmdet',
                expansion=expansion,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                drop_path_rates=rates[sum(stage_blocks[:i]):sum(stage_blocks[:i + 1])],
                groups=groups,
                width_per_group=width_per_group,
                base_channels=base_channels,
                dilation=dilations[i],
                style=style,
                with_cp=with_cp,
                dcn=dcn if dcn is not None and stage_with_dcn[i] else None)
            channels = planes * (expansion or block.expansion)
            stage_channels.append(channels)
        self._set_stages(stages, stage_channels, stem)

    def _init_options(self, init_cfg, pretrained, zero_init_residual) -> tuple:
        """``init_cfg`` with mmdet's deprecated ``pretrained`` folded in, and whether the blocks
        are zero-initialised (mmdet: only under its default init)."""
        if pretrained is not None:
            return fold_pretrained(type(self).__name__, pretrained, init_cfg,
                                   TORCHVISION_INIT_CFG), zero_init_residual
        given = init_cfg is not TORCHVISION_INIT_CFG and init_cfg is not None
        if self.peer == 'mmdet':
            # mmdet's default init_cfg is None, meaning this one; its blocks' zero init comes
            # with that default only
            return (init_cfg if given else TORCHVISION_INIT_CFG), zero_init_residual and not given
        return init_cfg, zero_init_residual

    def build_stem(self, in_channels: int, stem_channels: int, conv_cfg: Optional[dict],
                   norm_cfg: dict) -> Dict[str, nn.Module]:
        """ImageNet stem: a 7x7 stride-2 convolution (or, ``deep_stem``, three 3x3 ones laid out
        as the peer lays them out) and a 3x3 stride-2 max pool (4x down)."""
        maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        if not self.deep_stem:
            norm_name, norm = build_norm_layer(norm_cfg, stem_channels, postfix=1)
            return {
                'conv1':
                build_conv_layer(
                    conv_cfg, in_channels, stem_channels, 7, stride=2, padding=3, bias=False),
                norm_name:
                norm,
                'relu':
                nn.ReLU(inplace=True),
                'maxpool':
                maxpool
            }
        widths = (in_channels, stem_channels // 2, stem_channels // 2, stem_channels)
        layers: List[nn.Module] = []
        for i in range(3):
            conv_args = (widths[i], widths[i + 1], 3)
            conv_kwargs = dict(stride=2 if i == 0 else 1, padding=1, conv_cfg=conv_cfg)
            if self.peer == 'mmpretrain':  # ConvModule's conv / bn / activate
                layers.append(
                    ConvModule(*conv_args, norm_cfg=norm_cfg, inplace=True, **conv_kwargs))
            else:  # mmdet's flat conv, norm, ReLU
                conv_cfg_ = conv_kwargs.pop('conv_cfg')
                layers += [
                    build_conv_layer(conv_cfg_, *conv_args, bias=False, **conv_kwargs),
                    build_norm_layer(norm_cfg, widths[i + 1])[1],
                    nn.ReLU(inplace=True)
                ]
        return dict(stem=nn.Sequential(*layers), maxpool=maxpool)

    def frozen_modules(self) -> List[nn.Module]:
        """The stem's layers with parameters (not its ReLU and max pool, which mmdet and
        mmpretrain leave in training mode), then the first stages."""
        if self.frozen_stages < 0:
            return []
        stem = [
            m for name, m in self.named_children()
            if name in self.stem_names and name not in ('relu', 'maxpool')
        ]
        return stem + [getattr(self, name) for name in self.stage_names[:self.frozen_stages]]

    def _freeze_stages(self) -> None:
        super()._freeze_stages()
        if self.frozen_stages >= 0 and 'conv1' in self.stem_names:
            # mmdet and mmpretrain put the stem's norm in eval mode, not its convolution
            self.conv1.train(self.training)

    def init_weights(self) -> None:
        super().init_weights()
        if loads_checkpoint(self.init_cfg):
            return  # the checkpoint's norm weights must survive
        if self.zero_init_residual:
            for module in self.modules():
                if isinstance(module, ResBlock):
                    constant_init(module.last_norm, val=0, bias=0)


@MODELS.register_module()
class ResNet_CIFAR(ResNet):
    """ResNet with the CIFAR stem (mmpretrain's ``ResNet_CIFAR``): one 3x3 stride-1
    convolution and no max pool, so that 32x32 images keep their resolution into ``layer1``.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import ResNet_CIFAR
        >>> model = ResNet_CIFAR(depth=18, out_indices=(0, 3)).eval()
        >>> for out in model(torch.rand(1, 3, 32, 32)):
        ...     print(tuple(out.shape))
        (1, 64, 32, 32)
        (1, 512, 4, 4)
    """

    def build_stem(self, in_channels: int, stem_channels: int, conv_cfg: Optional[dict],
                   norm_cfg: dict) -> Dict[str, nn.Module]:
        if self.deep_stem:
            raise ValueError('ResNet_CIFAR: deep_stem is not supported (its stem is one 3x3 '
                             'convolution)')
        norm_name, norm = build_norm_layer(norm_cfg, stem_channels, postfix=1)
        return {
            'conv1':
            build_conv_layer(
                conv_cfg, in_channels, stem_channels, 3, stride=1, padding=1, bias=False),
            norm_name:
            norm,
            'relu':
            nn.ReLU(inplace=True)
        }


@MODELS.register_module()
class ResNetV1c(ResNet):
    """ResNet-C (`Bag of Tricks <https://arxiv.org/abs/1812.01187>`_, mmpretrain's
    ``ResNetV1c``): the 7x7 stem convolution replaced by three 3x3 ones (``deep_stem=True``).
    Other arguments are :class:`ResNet`'s.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import ResNetV1c
        >>> model = ResNetV1c(depth=50).eval()
        >>> tuple(model(torch.rand(1, 3, 64, 64))[-1].shape), model.stem[0].conv.out_channels
        ((1, 2048, 2, 2), 32)
    """

    def __init__(self, **kwargs):
        super().__init__(deep_stem=True, avg_down=False, **kwargs)


@MODELS.register_module()
class ResNetV1d(ResNet):
    """ResNet-D (`Bag of Tricks <https://arxiv.org/abs/1812.01187>`_, mmdet's and mmpretrain's
    ``ResNetV1d``): ResNet-C's stem and shortcuts that downsample with a 2x2 average pool before
    a stride-1 convolution (``deep_stem=True, avg_down=True``). Other arguments are
    :class:`ResNet`'s.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import ResNetV1d
        >>> model = ResNetV1d(depth=50).eval()
        >>> tuple(model(torch.rand(1, 3, 64, 64))[-1].shape)
        (1, 2048, 2, 2)
        >>> type(model.layer2[0].downsample[0]).__name__  # the average pool before the 1x1 conv
        'AvgPool2d'
    """

    def __init__(self, **kwargs):
        super().__init__(deep_stem=True, avg_down=True, **kwargs)


__all__ = [
    'BasicBlock', 'Bottleneck', 'ResBlock', 'ResLayer', 'ResNet', 'ResNet_CIFAR', 'ResNetV1c',
    'ResNetV1d'
]
