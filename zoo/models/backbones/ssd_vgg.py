from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvNormAct
from ..utils.init import TORCHVISION_INIT_CFG
from .base_backbone import BaseBackbone
from .vgg import VGG, vgg_convs


@MODELS.register_module()
class SSDVGG(BaseBackbone):
    """VGG in the form SSD (`Liu et al. <https://arxiv.org/abs/1512.02325>`_) uses: a drop-in
    for mmdet's ``SSDVGG`` backbone.

    Against the classification :class:`VGG`: max pools round up (``ceil_mode``, so 300 px gives
    38x38 ``conv4_3`` maps), the fifth stage's 2x2 pool is replaced by a 3x3 stride-1 one, and
    the fully connected fc6/fc7 become convolutions: fc6 a 3x3 dilated 6 times, fc7 a 1x1, both
    1024 channels with ReLU. The pool that ends each VGG stage opens the next one here, so that a
    stage outputs its last convolution's map before pooling, where SSD reads ``conv4_3``.

    Stages (outputs for a 300 px input): ``layer1`` conv1 (300), ``layer2`` conv2 (150),
    ``layer3`` conv3 (75), ``layer4`` conv4 (38), ``layer5`` conv5 (19), ``layer6`` pool5, fc6,
    fc7 (19). The default ``out_indices=(3, 5)`` gives ``conv4_3`` (512 channels) and ``fc7``
    (1024), what mmdet's ``SSDVGG(depth=16, out_feature_indices=(22, 34))`` gives; the L2
    normalisation of ``conv4_3`` belongs to mmdet's ``SSDNeck``, as there.

    State dicts: the convolutions of ``layer1`` ... ``layer5`` are ``layer{s}.{j}.0.weight``
    (the pools have no parameters); a zoo (or mmpretrain) :class:`VGG` classification
    checkpoint, whose ``features.<i>.conv`` are renamed on loading (:meth:`vgg_key_mapping`),
    loads with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
    (fc6/fc7 stay newly initialised). ``fc6``/``fc7`` are ``layer6.fc6.0`` / ``layer6.fc7.0``.
    mmdet's keys ``features.{i}`` (torchvision's VGG ``features`` too) map one to one
    (:meth:`mmdet_key_mapping`) and are renamed on loading: mmdet's SSD300 checkpoints and its
    ``open-mmlab://vgg16_caffe`` initialisation load unchanged.

    Args:
        depth: 11, 13, 16 or 19 (rows of :attr:`arch_settings`).
        in_channels: Input image channels.
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        ceil_mode: Whether the 2x2 max pools round their output size up.
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: ``None`` as in SSD; ``dict(type='BN')`` adds a norm after every convolution.
        act_cfg: Activation config.
        norm_eval: Whether norm layers stay in eval mode in training.
        init_cfg: Initialisation config; the default is :class:`VGG`'s.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import SSDVGG
        >>> model = SSDVGG(depth=16).eval()
        >>> conv4_3, fc7 = model(torch.rand(1, 3, 75, 75))
        >>> tuple(conv4_3.shape), tuple(fc7.shape)
        ((1, 512, 10, 10), (1, 1024, 5, 5))
        >>> model.out_channels
        (512, 1024)
    """

    arch_settings = VGG.arch_settings
    widths = VGG.widths
    fc_channels = 1024

    def __init__(self,
                 depth: int,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (3, 5),
                 frozen_stages: int = -1,
                 ceil_mode: bool = True,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = TORCHVISION_INIT_CFG):
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg)
        if depth not in self.arch_settings:
            raise ValueError(f'{type(self).__name__}: depth {depth!r} is not one of '
                             f'{sorted(self.arch_settings)}')
        self.depth = depth
        self.norm_cfg = norm_cfg
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        stages = {}
        for i, (num_convs, channels) in enumerate(zip(self.arch_settings[depth], self.widths)):
            layers = OrderedDict()
            if i > 0:
                layers['pool'] = nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode)
            # named '0', '1', ... as in VGG's stages, whatever comes before them
            for j, conv in enumerate(vgg_convs(in_channels, channels, num_convs, **cfgs)):
                layers[str(j)] = conv
            stages[f'layer{i + 1}'] = nn.Sequential(layers)
            in_channels = channels
        stages['layer6'] = nn.Sequential(
            OrderedDict(
                pool=nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
                fc6=ConvNormAct(
                    in_channels, self.fc_channels, 3, padding=6, dilation=6, bias=True, **cfgs),
                fc7=ConvNormAct(self.fc_channels, self.fc_channels, 1, bias=True, **cfgs)))
        self._set_stages(stages, self.widths + (self.fc_channels, ))
        self.register_load_state_dict_pre_hook(self._rename_mmdet_keys)

    @classmethod
    def mmdet_key_mapping(cls, depth: int = 16) -> Dict[str, str]:
        """Module names of mmdet's ``SSDVGG`` (without BatchNorm) -> this class's.

        mmdet's ``features`` is one sequence: for each stage, ``conv, relu`` per convolution,
        then a 2x2 pool except after the fifth stage; then pool5, fc6, relu, fc7, relu. For
        depth 16: ``features.0`` -> ``layer1.0.0``, ``features.21`` (conv4_3) ->
        ``layer4.2.0``, ``features.31`` -> ``layer6.fc6.0``, ``features.33`` ->
        ``layer6.fc7.0``. torchvision's ``vgg16().features`` numbers its first 13 convolutions
        the same way.
        """
        if depth not in cls.arch_settings:
            raise ValueError(f'{cls.__name__}: depth {depth!r} is not one of '
                             f'{sorted(cls.arch_settings)}')
        mapping, index = {}, 0
        for stage, num_convs in enumerate(cls.arch_settings[depth]):
            for j in range(num_convs):
                mapping[f'features.{index}'] = f'layer{stage + 1}.{j}.0'
                index += 2  # conv, relu
            index += 1 if stage < 4 else 0  # the pool after stages 1 to 4
        mapping[f'features.{index + 1}'] = 'layer6.fc6.0'  # index is pool5
        mapping[f'features.{index + 3}'] = 'layer6.fc7.0'
        return mapping

    @classmethod
    def vgg_key_mapping(cls, depth: int = 16) -> Dict[str, str]:
        """Module names of zoo's (and mmpretrain's) classification :class:`VGG` -> this
        class's: its flat ``features.<i>`` hold one ``ConvModule`` (``conv``, ``bn``) per
        convolution and a pool per stage, so ``features.0.conv`` -> ``layer1.0.0`` and
        ``features.0.bn`` -> ``layer1.0.1``."""
        mapping, index = {}, 0
        for stage, num_convs in enumerate(cls.arch_settings[depth]):
            for j in range(num_convs):
                mapping[f'features.{index}.conv'] = f'layer{stage + 1}.{j}.0'
                mapping[f'features.{index}.bn'] = f'layer{stage + 1}.{j}.1'
                index += 1
            index += 1  # the stage's pool
        return mapping

    def _rename_mmdet_keys(self, module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
        """Load-time hook: accept mmdet's (and torchvision's) ``features.{i}`` names.

        They are renamed in place before the children read their keys, so that mmdet's SSD300
        checkpoints and its ``open-mmlab://vgg16_caffe`` initialisation load as they are (also
        through zoo's ``Pretrained``, which runs load hooks before comparing shapes). mmdet's
        SSDVGG has no norm layers, so a VGG-BN layout is left alone."""
        vgg_mapping = self.vgg_key_mapping(self.depth)
        for key in [k for k in state_dict if k.startswith(prefix + 'features.')]:
            name, _, param = key[len(prefix):].rpartition('.')
            if name in vgg_mapping:
                state_dict[f'{prefix}{vgg_mapping[name]}.{param}'] = state_dict.pop(key)
        if self.norm_cfg is not None:
            return
        mapping = self.mmdet_key_mapping(self.depth)
        for key in [k for k in state_dict if k.startswith(prefix + 'features.')]:
            name, _, param = key[len(prefix):].rpartition('.')
            if name in mapping:
                state_dict[f'{prefix}{mapping[name]}.{param}'] = state_dict.pop(key)


__all__ = ['SSDVGG']
