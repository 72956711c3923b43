from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from zoo.registry import MODELS
from ..layers import ConvNormAct, PluggableBlock
from .base_backbone import BaseBackbone


class Inception(PluggableBlock):
    """An Inception module: four parallel branches concatenated along the channels.

    The branches are a 1x1 convolution; 1x1 then 3x3; 1x1 then "5x5"; and a 3x3 stride-1 max
    pool then a 1x1 projection. As in torchvision (whose ``branch3`` comment explains it), the
    "5x5" branch is a 3x3 convolution: torchvision's published weights were trained so. Each
    convolution is a :class:`ConvNormAct` (conv without bias, BatchNorm, ReLU), torchvision's
    ``BasicConv2d``. A plugin can go on the concatenated output (``'after_concat'``: the SE
    paper's SE-Inception).

    Args:
        in_channels: Input channels.
        ch1x1: Output channels of the 1x1 branch.
        ch3x3red: Reduction channels of the 3x3 branch.
        ch3x3: Output channels of the 3x3 branch.
        ch5x5red: Reduction channels of the "5x5" branch.
        ch5x5: Output channels of the "5x5" branch.
        pool_proj: Output channels of the pooling branch.
        downsample: Kernel of a stride-2 max pool applied to the input first (how a new
            resolution begins in GoogLeNet), or ``None``.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config.
        act_cfg: Activation config.
    """

    def __init__(self,
                 in_channels: int,
                 ch1x1: int,
                 ch3x3red: int,
                 ch3x3: int,
                 ch5x5red: int,
                 ch5x5: int,
                 pool_proj: int,
                 downsample: Optional[int] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', eps=0.001),
                 act_cfg: dict = dict(type='ReLU', inplace=True)):
        super().__init__()
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.downsample = nn.MaxPool2d(downsample, stride=2, ceil_mode=True) \
            if downsample else None
        self.branch1 = ConvNormAct(in_channels, ch1x1, 1, **common)
        self.branch2 = nn.Sequential(
            ConvNormAct(in_channels, ch3x3red, 1, **common),
            ConvNormAct(ch3x3red, ch3x3, 3, **common))
        self.branch3 = nn.Sequential(
            ConvNormAct(in_channels, ch5x5red, 1, **common),
            ConvNormAct(ch5x5red, ch5x5, 3, **common))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            ConvNormAct(in_channels, pool_proj, 1, **common))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    @property
    def plugin_points(self) -> Dict[str, int]:
        return dict(after_concat=self.out_channels)

    def forward(self, x: Tensor) -> Tensor:
        if self.downsample is not None:
            x = self.downsample(x)
        out = torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)
        return self.forward_plugins('after_concat', out)


@MODELS.register_module()
class GoogLeNet(BaseBackbone):
    """GoogLeNet (Inception v1, `Going Deeper with Convolutions
    <https://arxiv.org/abs/1409.4842>`_), torchvision's ``googlenet`` (with BatchNorm).

    The stem is ``conv1`` (7x7, stride 2), ``maxpool1``, ``conv2`` (1x1), ``conv3`` (3x3),
    ``maxpool2``; each of the nine Inception modules ``inception3a`` ... ``inception5b`` is a
    stage, so that the classifier's input (stage 8, 1024 channels, stride 32) and the inputs of
    the two auxiliary classifiers (stage 2, ``inception4a``, 512 channels; stage 5,
    ``inception4d``, 528 channels; both stride 16) can all be returned. torchvision's
    ``maxpool3`` and ``maxpool4`` are the ``downsample`` of ``inception4a`` and ``inception5a``.
    The state dict is torchvision's but for the layer names inside each convolution
    (``conv.weight``, ``bn.*`` there; ``0.weight``, ``1.*`` here).

    The classifier and the auxiliary classifiers are :class:`~zoo.models.heads.GoogLeNetClsHead`,
    which takes ``out_indices=(2, 5, 8)``; with ``out_indices=(8, )`` and no auxiliaries the
    classifier has torchvision's published 6,624,904 parameters. torchvision's published weights
    expect inputs normalised with mean 0.5 and std 0.5 (its ``transform_input``), so the configs
    normalise with mean 127.5 and std 127.5.

    Args:
        in_channels: Input image channels.
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``k`` the stem and the first
            ``k`` stages.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config (torchvision's BatchNorm has eps 0.001).
        act_cfg: Activation config.
        norm_eval: Whether BatchNorm layers stay in eval mode in training.
        init_cfg: Initialisation config; the default is torchvision's (truncated normal of std
            0.01 for convolutions, weight 1 and bias 0 for norm layers).
        plugins: Attention plugins on the outputs of chosen Inception modules
            (``'after_concat'``).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import GoogLeNet
        >>> model = GoogLeNet(out_indices=(1, 2, 5, 8)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 480, 28, 28)
        (1, 512, 14, 14)
        (1, 528, 14, 14)
        (1, 1024, 7, 7)
    """

    # stage: (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, downsample max pool kernel)
    stage_settings = {
        'inception3a': (64, 96, 128, 16, 32, 32, None),
        'inception3b': (128, 128, 192, 32, 96, 64, None),
        'inception4a': (192, 96, 208, 16, 48, 64, 3),
        'inception4b': (160, 112, 224, 24, 64, 64, None),
        'inception4c': (128, 128, 256, 24, 64, 64, None),
        'inception4d': (112, 144, 288, 32, 64, 64, None),
        'inception4e': (256, 160, 320, 32, 128, 128, None),
        'inception5a': (256, 160, 320, 32, 128, 128, 2),
        'inception5b': (384, 192, 384, 48, 128, 128, None),
    }

    def __init__(self,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (8, ),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', eps=0.001),
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='TruncNormal', layer=['Conv2d'], std=0.01, a=-2, b=2),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
                 ],
                 plugins: Optional[List[dict]] = None):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        stem = self.build_stem(in_channels, common)
        channels = stem['conv3'][0].out_channels
        stages, stage_channels = {}, []
        for name, (*widths, downsample) in self.stage_settings.items():
            stages[name] = Inception(channels, *widths, downsample=downsample, **common)
            channels = stages[name].out_channels
            stage_channels.append(channels)
        self._set_stages(stages, stage_channels, stem)

    def build_stem(self, in_channels: int, common: dict) -> Dict[str, nn.Module]:
        """ImageNet stem: 7x7 stride-2 convolution, max pool, 1x1 and 3x3 convolutions, max
        pool (8x down, 192 channels)."""
        return dict(
            conv1=ConvNormAct(in_channels, 64, 7, stride=2, **common),
            maxpool1=nn.MaxPool2d(3, stride=2, ceil_mode=True),
            conv2=ConvNormAct(64, 64, 1, **common),
            conv3=ConvNormAct(64, 192, 3, **common),
            maxpool2=nn.MaxPool2d(3, stride=2, ceil_mode=True))


@MODELS.register_module()
class GoogLeNet_CIFAR(GoogLeNet):
    """GoogLeNet with a CIFAR stem: the same convolutions at stride 1 and no max pools, so that
    32x32 images reach ``inception3a`` at 32x32 (then 16x16 from ``inception4a`` and 8x8 from
    ``inception5a``), as the common CIFAR-10 GoogLeNets do.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import GoogLeNet_CIFAR
        >>> model = GoogLeNet_CIFAR(out_indices=(2, 5, 8)).eval()
        >>> for out in model(torch.rand(1, 3, 32, 32)):
        ...     print(tuple(out.shape))
        (1, 512, 16, 16)
        (1, 528, 16, 16)
        (1, 1024, 8, 8)
    """

    def build_stem(self, in_channels: int, common: dict) -> Dict[str, nn.Module]:
        return dict(
            conv1=ConvNormAct(in_channels, 64, 3, **common),
            conv2=ConvNormAct(64, 64, 1, **common),
            conv3=ConvNormAct(64, 192, 3, **common))


__all__ = ['Inception', 'GoogLeNet', 'GoogLeNet_CIFAR']
