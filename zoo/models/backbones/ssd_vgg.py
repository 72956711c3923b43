import warnings
from typing import Dict, List, Optional, Sequence, Union

from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from torch import nn

from zoo.registry import MODELS
from ..utils.init import TORCHVISION_INIT_CFG, fold_pretrained
from .base_backbone import BaseBackbone
from .flat_features import flat_stages
from .vgg import VGG


@MODELS.register_module()
class SSDVGG(BaseBackbone):
    """VGG in the form SSD (`Liu et al. <https://arxiv.org/abs/1512.02325>`_) uses: a drop-in
    for mmdet's ``SSDVGG``, with its arguments, its state-dict keys and its outputs.

    Against the classification :class:`VGG`: max pools round up (``ceil_mode``, so 300 px gives
    38x38 ``conv4_3`` maps), the fifth stage's 2x2 pool is replaced by a 3x3 stride-1 one, and
    the fully connected fc6/fc7 become convolutions: fc6 a 3x3 dilated 6 times, fc7 a 1x1, both
    1024 channels with ReLU.

    Layers: one flat ``features`` Sequential, mmdet's (mmcv ``VGG``'s) layout: per convolution
    ``Conv2d, ReLU`` (``Conv2d, norm, ReLU`` with ``norm_cfg``), a 2x2 pool after stages 1-4
    (and after stage 5 with ``with_last_pool``), then pool5, fc6, ReLU, fc7, ReLU. So mmdet's
    SSD300 checkpoints and its ``open-mmlab://vgg16_caffe`` initialisation load strictly, keys
    ``features.<i>.weight``. The stages (zoo's ``out_indices``, ``frozen_stages``) are views of
    the same layers, each pool opening the next stage: ``layer1`` .. ``layer5`` the VGG stages,
    ``layer6`` pool5, fc6, fc7. What a stage returns is the output of its last ReLU, where SSD
    reads ``conv4_3`` (``features.22`` for depth 16) and ``fc7`` (``features.34``).

    A zoo (or mmpretrain) classification :class:`VGG` checkpoint, whose ``features.<i>`` are
    ``ConvModule`` s (``conv``, ``bn``), is renamed on loading (:meth:`vgg_key_mapping`), so it
    loads with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')`` (fc6 and
    fc7 stay newly initialised).

    Args:
        depth: 11, 13, 16 or 19 (rows of :attr:`arch_settings`).
        with_last_pool: mmdet's: a 2x2 pool after the fifth stage too, before pool5.
        ceil_mode: Whether the 2x2 max pools round their output size up.
        out_indices: Stages whose outputs are returned, used only when
            ``out_feature_indices`` is ``None`` (mmdet ignores it: its VGG's argument).
        out_feature_indices: mmdet's: the indices of ``features`` after which an output is
            read. Each must end a stage (a ReLU before a pool, or fc7's). mmdet's default
            ``(22, 34)`` is what ``None`` gives with the default ``out_indices`` for VGG-16,
            ``conv4_3`` and ``fc7``; for other depths ``None`` gives their conv4 and fc7.
        pretrained: Deprecated (mmdet's): a checkpoint, meaning ``init_cfg=dict(
            type='Pretrained', checkpoint=pretrained)``.
        init_cfg: Initialisation config; ``None`` is mmdet's default, torchvision's (Kaiming
            normal, fan-out, for convolutions; 1/0 for norms).
        input_size: Deprecated in mmdet (it warns and ignores it); the same here.
        l2_norm_scale: Deprecated in mmdet (moved to ``SSDNeck``); warned of and ignored.
        in_channels: Input image channels (zoo's).
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (zoo's).
        conv_cfg: Convolution config; ``None`` is Conv2d (zoo's).
        norm_cfg: ``None`` as in SSD; ``dict(type='BN')`` adds a norm after every
            convolution of the VGG stages (zoo's).
        act_cfg: Activation config (zoo's).
        norm_eval: Whether norm layers stay in eval mode in training (zoo's).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import SSDVGG
        >>> model = SSDVGG(depth=16).eval()
        >>> conv4_3, fc7 = model(torch.rand(1, 3, 75, 75))
        >>> tuple(conv4_3.shape), tuple(fc7.shape)
        ((1, 512, 10, 10), (1, 1024, 5, 5))
        >>> model.out_channels
        (512, 1024)
        >>> sorted(model.state_dict())[:2]
        ['features.0.bias', 'features.0.weight']
    """

    arch_settings = VGG.arch_settings
    widths = VGG.widths
    fc_channels = 1024

    def __init__(self,
                 depth: int,
                 with_last_pool: bool = False,
                 ceil_mode: bool = True,
                 out_indices: Union[int, Sequence[int]] = (3, 5),
                 out_feature_indices: Optional[Sequence[int]] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 input_size: Optional[int] = None,
                 l2_norm_scale: Optional[float] = None,
                 in_channels: int = 3,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False):
        name = type(self).__name__
        init_cfg = fold_pretrained(name, pretrained, init_cfg)
        for deprecated, value in (('input_size', input_size), ('l2_norm_scale', l2_norm_scale)):
            if value is not None:  # as mmdet: warned of and ignored
                warnings.warn(f'{name}: {deprecated} is deprecated and ignored' + (
                    ' (SSDNeck scales conv4_3)' if deprecated == 'l2_norm_scale' else ''))
        stage_convs = self.parse_arch(depth, argument='depth')
        layers: List[List[nn.Module]] = []

        def conv(in_ch: int, out_ch: int, **kwargs) -> List[nn.Module]:
            block = [build_conv_layer(conv_cfg, in_ch, out_ch, **kwargs)]
            if norm_cfg is not None:
                block.append(build_norm_layer(norm_cfg, out_ch)[1])
            return block + [build_activation_layer(act_cfg)]

        def pool() -> nn.Module:
            return nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode)

        for i, (num_convs, channels) in enumerate(zip(stage_convs, self.widths)):
            stage = [pool()] if i > 0 else []
            for j in range(num_convs):
                stage += conv(
                    in_channels if j == 0 else channels, channels, kernel_size=3, padding=1)
            layers.append(stage)
            in_channels = channels
        extra = [pool()] if with_last_pool else []
        extra.append(nn.MaxPool2d(kernel_size=3, stride=1, padding=1))
        extra += [
            build_conv_layer(conv_cfg, in_channels, self.fc_channels, 3, padding=6, dilation=6),
            build_activation_layer(act_cfg)
        ]
        extra += [
            build_conv_layer(conv_cfg, self.fc_channels, self.fc_channels, 1),
            build_activation_layer(act_cfg)
        ]
        layers.append(extra)
        stage_ends = [sum(map(len, layers[:i + 1])) - 1 for i in range(len(layers))]
        if out_feature_indices is not None:
            out_indices = self._stages_of(out_feature_indices, stage_ends)
        super().__init__(out_indices, frozen_stages, norm_eval,
                         TORCHVISION_INIT_CFG if init_cfg is None else init_cfg)
        self.depth = depth
        names = [f'layer{i + 1}' for i in range(len(layers))]
        self.features, stages = flat_stages(layers, names)
        self._set_stages(stages, self.widths + (self.fc_channels, ), register=False)
        self.out_feature_indices = tuple(stage_ends[i] for i in self.out_indices)
        self.register_load_state_dict_pre_hook(self._rename_vgg_keys)

    def _stages_of(self, out_feature_indices: Sequence[int], stage_ends: List[int]) -> List[int]:
        """mmdet's ``out_feature_indices`` (flat indices) as stage indices."""
        unknown = [i for i in out_feature_indices if i not in stage_ends]
        if unknown:
            raise ValueError(f'{type(self).__name__}: out_feature_indices {unknown} do not end '
                             f'a stage; zoo reads outputs after one of {stage_ends}')
        return [stage_ends.index(i) for i in out_feature_indices]

    @classmethod
    def vgg_key_mapping(cls, depth: int = 16, with_norm: bool = False) -> Dict[str, str]:
        """Module names of zoo's (and mmpretrain's) classification :class:`VGG` -> this
        class's: its flat ``features.<i>`` hold one ``ConvModule`` (``conv``, ``bn``) per
        convolution and a pool per stage, so ``features.0.conv`` -> ``features.0`` and, with
        ``with_norm``, ``features.0.bn`` -> ``features.1``."""
        mapping, source, target = {}, 0, 0
        for stage, num_convs in enumerate(cls.arch_settings[depth]):
            target += 1 if stage > 0 else 0  # the pool that opens the stage
            for _ in range(num_convs):
                mapping[f'features.{source}.conv'] = f'features.{target}'
                if with_norm:
                    mapping[f'features.{source}.bn'] = f'features.{target + 1}'
                source += 1
                target += 3 if with_norm else 2  # conv, [norm,] activation
            source += 1  # the classification VGG's pool ends its stage
        return mapping

    def _rename_vgg_keys(self, module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
        """Load-time hook: accept a classification VGG's ``features.<i>.conv/bn`` names (they
        never collide with this class's ``features.<i>.weight``), renamed in place before the
        layers read their keys (also through ``Pretrained``, which runs load hooks)."""
        with_norm = any(isinstance(m, nn.modules.batchnorm._NormBase) for m in self.features)
        mapping = self.vgg_key_mapping(self.depth, with_norm)
        for key in [k for k in state_dict if k.startswith(prefix + 'features.')]:
            name, _, param = key[len(prefix):].rpartition('.')
            if name in mapping:
                state_dict[f'{prefix}{mapping[name]}.{param}'] = state_dict.pop(key)


__all__ = ['SSDVGG']
