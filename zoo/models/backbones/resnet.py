from typing import Dict, List, Optional, Sequence, Type, Union

from mmcv.cnn import build_conv_layer, build_norm_layer
from mmengine.model import constant_init
from torch import Tensor, nn

from zoo.registry import MODELS
from ..layers import PluggableBlock
from .base_backbone import BaseBackbone

# Where the stride of a Bottleneck goes: on its 3x3 convolution ('pytorch', torchvision's
# ResNet v1.5) or on its first 1x1 convolution ('caffe', the original ResNet v1).
STYLES = ('pytorch', 'caffe')


class BasicBlock(PluggableBlock):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34).

    Sub-module names are torchvision's: ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``downsample``.
    Plugins can go after the first convolution's activation (``'after_conv1'``) and after the
    second one's norm, before the residual sum (``'after_conv2'``).

    Args:
        in_channels: Input channels.
        planes: Output channels of the block divided by :attr:`expansion` (here 1).
        stride: Stride of the first convolution.
        downsample: Module that maps the input to the residual's shape, if it differs.
        groups: Must be 1 (grouped convolutions need a :class:`Bottleneck`).
        base_width: Must be 64.
        dilation: Dilation of both convolutions.
        style: Accepted for a uniform block interface; the stride can only go on ``conv1``.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config.
    """

    expansion = 1

    def __init__(self,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 groups: int = 1,
                 base_width: int = 64,
                 dilation: int = 1,
                 style: str = 'pytorch',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError('BasicBlock (ResNet-18/34) supports only groups=1 and '
                             f'width_per_group=64, got groups={groups}, '
                             f'width_per_group={base_width}')
        self.conv1 = build_conv_layer(conv_cfg, in_channels, planes, 3, stride=stride,
                                      padding=dilation, dilation=dilation, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, planes)[1]
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = build_conv_layer(conv_cfg, planes, planes, 3, padding=dilation,
                                      dilation=dilation, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, planes)[1]
        self.downsample = downsample

    @property
    def last_norm(self) -> nn.Module:
        """The norm layer before the residual sum, zeroed by ``zero_init_residual``."""
        return self.bn2

    @property
    def plugin_points(self) -> Dict[str, int]:
        return dict(after_conv1=self.conv1.out_channels, after_conv2=self.conv2.out_channels)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.forward_plugins('after_conv1', out)
        out = self.bn2(self.conv2(out))
        out = self.forward_plugins('after_conv2', out)
        out += identity
        return self.relu(out)


class Bottleneck(PluggableBlock):
    """1x1, 3x3 (optionally grouped) and 1x1 convolutions with a residual connection.

    Sub-module names are torchvision's: ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``conv3``,
    ``bn3``, ``downsample``. The inner width is ``int(planes * base_width / 64) * groups``
    (``planes`` for ResNet, 128 in the first stage of ResNeXt-50 32x4d). Plugins can go after
    the first two convolutions' activations (``'after_conv1'``, ``'after_conv2'``) and after
    the last one's norm, before the residual sum (``'after_conv3'``: SE-ResNet's SE).

    Args:
        in_channels: Input channels.
        planes: Output channels of the block divided by :attr:`expansion` (4).
        stride: Stride of the block, on ``conv2`` ('pytorch' style) or ``conv1`` ('caffe').
        downsample: Module that maps the input to the residual's shape, if it differs.
        groups: Groups of the 3x3 convolution (the cardinality of ResNeXt).
        base_width: Width of each group for ``planes=64`` (64 for ResNet, 4 for 32x4d).
        dilation: Dilation of the 3x3 convolution.
        style: 'pytorch' or 'caffe', see above.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config.
    """

    expansion = 4

    def __init__(self,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 groups: int = 1,
                 base_width: int = 64,
                 dilation: int = 1,
                 style: str = 'pytorch',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        width = int(planes * (base_width / 64.)) * groups
        conv1_stride, conv2_stride = (1, stride) if style == 'pytorch' else (stride, 1)
        self.conv1 = build_conv_layer(conv_cfg, in_channels, width, 1, stride=conv1_stride,
                                      bias=False)
        self.bn1 = build_norm_layer(norm_cfg, width)[1]
        self.conv2 = build_conv_layer(conv_cfg, width, width, 3, stride=conv2_stride,
                                      padding=dilation, dilation=dilation, groups=groups,
                                      bias=False)
        self.bn2 = build_norm_layer(norm_cfg, width)[1]
        self.conv3 = build_conv_layer(conv_cfg, width, planes * self.expansion, 1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, planes * self.expansion)[1]
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    @property
    def last_norm(self) -> nn.Module:
        """The norm layer before the residual sum, zeroed by ``zero_init_residual``."""
        return self.bn3

    @property
    def plugin_points(self) -> Dict[str, int]:
        return dict(after_conv1=self.conv1.out_channels, after_conv2=self.conv2.out_channels,
                    after_conv3=self.conv3.out_channels)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.forward_plugins('after_conv1', out)
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.forward_plugins('after_conv2', out)
        out = self.bn3(self.conv3(out))
        out = self.forward_plugins('after_conv3', out)
        out += identity
        return self.relu(out)


class ResLayer(nn.Sequential):
    """One ResNet stage: ``num_blocks`` blocks, the first of which changes stride and width.

    The first block gets a ``downsample`` (1x1 convolution and norm, torchvision's
    ``downsample.0`` / ``downsample.1``) when its input and output shapes differ.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        num_blocks: Number of blocks.
        in_channels: Input channels of the stage.
        planes: ``planes`` of each block; the stage outputs ``planes * block.expansion``.
        stride: Stride of the first block.
        conv_cfg: Convolution config.
        norm_cfg: Norm config.
        **block_kwargs: ``groups``, ``base_width``, ``dilation``, ``style`` for every block.
    """

    def __init__(self,
                 block: Type[Union[BasicBlock, Bottleneck]],
                 num_blocks: int,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 **block_kwargs):
        out_channels = planes * block.expansion
        downsample = None
        if stride != 1 or in_channels != out_channels:
            downsample = nn.Sequential(
                build_conv_layer(conv_cfg, in_channels, out_channels, 1, stride=stride,
                                 bias=False),
                build_norm_layer(norm_cfg, out_channels)[1])
        layers = [
            block(in_channels, planes, stride, downsample, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                  **block_kwargs)
        ]
        layers += [
            block(out_channels, planes, conv_cfg=conv_cfg, norm_cfg=norm_cfg, **block_kwargs)
            for _ in range(1, num_blocks)
        ]
        super().__init__(*layers)


@MODELS.register_module()
class ResNet(BaseBackbone):
    """ResNet (`Deep Residual Learning for Image Recognition
    <https://arxiv.org/abs/1512.03385>`_), torchvision's v1.5 by default.

    The stem is ``conv1`` (7x7, stride 2), ``bn1``, ``relu``, ``maxpool`` (3x3, stride 2), the
    stages ``layer1`` ... ``layer4``, all named as in torchvision: the state dict equals that of
    ``torchvision.models.resnet{depth}()`` without ``fc.*``, and that of mmpretrain's BN ResNet
    backbone, so either checkpoint loads directly: ``init_cfg=dict(type='Pretrained',
    checkpoint=...)``, with ``prefix='backbone.'`` for an mmpretrain classifier checkpoint.

    Args:
        depth: 18, 34, 50, 101 or 152 (rows of :attr:`arch_settings`).
        in_channels: Input image channels.
        num_stages: Number of stages built, 1 to 4.
        strides: Stride of the first block of each stage.
        dilations: Dilation of the 3x3 convolutions of each stage.
        style: 'pytorch' (stride on the 3x3 convolution of a Bottleneck, torchvision's v1.5) or
            'caffe' (stride on the first 1x1, the original v1).
        groups: Groups of the Bottleneck 3x3 convolutions.
        width_per_group: Width of each group in the first stage (64 for ResNet;
            ``width_per_group=128`` gives torchvision's Wide ResNet).
        out_indices: Stages whose outputs are returned (``(0, 1, 2, 3)`` for an FPN).
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``k`` the stem and the first
            ``k`` stages.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config (``dict(type='SyncBN')``, ``requires_grad=False``...).
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        zero_init_residual: Whether :meth:`init_weights` zeroes the last norm of each block, so
            that each block starts as the identity (`Goyal et al.
            <https://arxiv.org/abs/1706.02677>`_). Skipped when ``init_cfg`` loads a checkpoint.
        init_cfg: Initialisation config; the default is torchvision's (Kaiming normal, fan-out,
            for convolutions; weight 1, bias 0 for norm layers).
        plugins: Attention plugins for the blocks of chosen stages, e.g. SE-ResNet's
            ``[dict(cfg=dict(type='SELayer', ratio=16), position='after_conv3')]``; positions
            are those of :class:`BasicBlock` and :class:`Bottleneck`.

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
    stem_channels = 64

    def __init__(self,
                 depth: int,
                 in_channels: int = 3,
                 num_stages: int = 4,
                 strides: Sequence[int] = (1, 2, 2, 2),
                 dilations: Sequence[int] = (1, 1, 1, 1),
                 style: str = 'pytorch',
                 groups: int = 1,
                 width_per_group: int = 64,
                 out_indices: Union[int, Sequence[int]] = (3, ),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 zero_init_residual: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
                 ],
                 plugins: Optional[List[dict]] = None):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        name = type(self).__name__
        if depth not in self.arch_settings:
            raise ValueError(f'{name}: depth {depth!r} is not one of {sorted(self.arch_settings)}')
        if not 1 <= num_stages <= 4:
            raise ValueError(f'{name}: num_stages must be in [1, 4], got {num_stages}')
        if len(strides) != num_stages or len(dilations) != num_stages:
            raise ValueError(f'{name}: strides {tuple(strides)} and dilations {tuple(dilations)} '
                             f'need one entry per stage (num_stages={num_stages})')
        if style not in STYLES:
            raise ValueError(f'{name}: style must be one of {STYLES}, got {style!r}')
        self.depth = depth
        self.zero_init_residual = zero_init_residual
        block, stage_blocks = self.arch_settings[depth]

        stem = self.build_stem(in_channels, conv_cfg, norm_cfg)
        stages, stage_channels = {}, []
        channels = self.stem_channels
        for i in range(num_stages):
            planes = self.stem_channels * 2**i
            stages[f'layer{i + 1}'] = ResLayer(
                block,
                stage_blocks[i],
                channels,
                planes,
                stride=strides[i],
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                groups=groups,
                base_width=width_per_group,
                dilation=dilations[i],
                style=style)
            channels = planes * block.expansion
            stage_channels.append(channels)
        self._set_stages(stages, stage_channels, stem)

    def build_stem(self, in_channels: int, conv_cfg: Optional[dict],
                   norm_cfg: dict) -> Dict[str, nn.Module]:
        """ImageNet stem: 7x7 stride-2 convolution and 3x3 stride-2 max pool (4x down)."""
        return dict(
            conv1=build_conv_layer(conv_cfg, in_channels, self.stem_channels, 7, stride=2,
                                   padding=3, bias=False),
            bn1=build_norm_layer(norm_cfg, self.stem_channels)[1],
            relu=nn.ReLU(inplace=True),
            maxpool=nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def init_weights(self) -> None:
        super().init_weights()
        init_cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        if any(isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' for cfg in init_cfgs):
            return  # the checkpoint's norm weights must survive
        if self.zero_init_residual:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)):
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

    def build_stem(self, in_channels: int, conv_cfg: Optional[dict],
                   norm_cfg: dict) -> Dict[str, nn.Module]:
        return dict(
            conv1=build_conv_layer(conv_cfg, in_channels, self.stem_channels, 3, stride=1,
                                   padding=1, bias=False),
            bn1=build_norm_layer(norm_cfg, self.stem_channels)[1],
            relu=nn.ReLU(inplace=True))


__all__ = ['BasicBlock', 'Bottleneck', 'ResLayer', 'ResNet', 'ResNet_CIFAR']
