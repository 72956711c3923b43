import warnings
from typing import List, Optional, Sequence, Type, Union

from torch import nn

from zoo.registry import MODELS
from ..layers import ConvModule, ConvNormAct
from ..utils.init import TORCHVISION_INIT_CFG
from .base_backbone import BaseBackbone
from .flat_features import classifier_view, flat_stages, with_classifier_index


def vgg_convs(in_channels: int,
              out_channels: int,
              num_convs: int,
              conv_cfg: Optional[dict],
              norm_cfg: Optional[dict],
              act_cfg: Optional[dict],
              dilation: int = 1,
              layer: Type[nn.Module] = ConvNormAct) -> List[nn.Module]:
    """The 3x3 convolutions of one VGG stage, each with its norm and activation: ``layer`` is
    :class:`ConvNormAct` (torchvision's child names, what ``SSDVGG`` keeps) or mmcv's
    ``ConvModule`` (mmpretrain's, what :class:`VGG` uses).

    The convolutions keep their bias even before a norm layer, as torchvision's and
    mmpretrain's VGG-BN do.
    """
    with warnings.catch_warnings():  # mmcv warns of that bias; it is the published network's
        warnings.filterwarnings('ignore', 'Unnecessary conv bias before batch/instance norm')
        return [
            layer(
                in_channels if i == 0 else out_channels,
                out_channels,
                3,
                padding=dilation,
                dilation=dilation,
                bias=True,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for i in range(num_convs)
        ]


@MODELS.register_module()
class VGG(BaseBackbone):
    """VGG (`Very Deep Convolutional Networks for Large-Scale Image Recognition
    <https://arxiv.org/abs/1409.1556>`_), with or without BatchNorm: mmpretrain's ``VGG``.

    Five stages of 3x3 convolutions (64, 128, 256, 512, 512 channels), each convolution followed
    by its norm (VGG-BN) and ReLU, each stage ending with a 2x2 max pool. As in mmpretrain
    every layer sits in one flat ``features`` Sequential (an mmcv ``ConvModule`` per
    convolution, then the pools), the stages ``layer1`` ... ``layer5`` are views of it, and with
    ``num_classes > 0`` the three-layer ``classifier`` (flattened 512x7x7 input, so 224x224
    images) is a sixth stage whose logits are always returned last: mmpretrain's checkpoints
    load strictly. As there and in torchvision, the convolutions keep their bias even before a
    BatchNorm. torchvision's adaptive 7x7 average pool is the
    ``GlobalAveragePooling(output_size=7)`` neck, its classifier a ``StackedLinearClsHead``.

    Args:
        depth: 11, 13, 16 or 19 (rows of :attr:`arch_settings`).
        num_classes: Classes of the backbone's own classifier; ``<= 0`` for none.
        num_stages: How many of the five stages to build.
        dilations: Dilation of the convolutions of each stage.
        out_indices: Stages whose outputs are returned; ``None`` is the last feature stage
            (``(4, )``), or the logits only when there is a classifier.
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: ``None`` for VGG, ``dict(type='BN')`` (or ``SyncBN``...) for VGG-BN.
        act_cfg: Activation config.
        norm_eval: Whether norm layers stay in eval mode in training.
        ceil_mode: ``ceil_mode`` of the max pools.
        with_last_pool: Whether the last stage ends with its max pool.
        init_cfg: Initialisation config; the default is torchvision's (Kaiming normal, fan-out,
            for convolutions; weight 1, bias 0 for norm layers; normal, std 0.01, for linear
            layers).
        in_channels: Input image channels (zoo's).
        plugins: Attention plugins after the conv layers of chosen stages (position
            ``'after_conv'``, on each layer's activation output; zoo's).

    Example:
        >>> import torch
        >>> from zoo.models.backbones import VGG
        >>> model = VGG(depth=11, norm_cfg=dict(type='BN'), out_indices=(0, 1, 2, 3, 4)).eval()
        >>> for out in model(torch.rand(1, 3, 64, 64)):
        ...     print(tuple(out.shape))
        (1, 64, 32, 32)
        (1, 128, 16, 16)
        (1, 256, 8, 8)
        (1, 512, 4, 4)
        (1, 512, 2, 2)
    """

    # depth: number of 3x3 convolutions in each of the five stages
    arch_settings = {
        11: (1, 1, 2, 2, 2),
        13: (2, 2, 2, 2, 2),
        16: (2, 2, 3, 3, 3),
        19: (2, 2, 4, 4, 4),
    }
    widths = (64, 128, 256, 512, 512)

    def __init__(self,
                 depth: int,
                 num_classes: int = -1,
                 num_stages: int = 5,
                 dilations: Sequence[int] = (1, 1, 1, 1, 1),
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 ceil_mode: bool = False,
                 with_last_pool: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     *TORCHVISION_INIT_CFG,
                     dict(type='Normal', std=0.01, layer=['Linear'])
                 ],
                 in_channels: int = 3,
                 plugins: Optional[List[dict]] = None):
        stage_convs = self.parse_arch(depth, argument='depth')
        if not 1 <= num_stages <= len(stage_convs):
            raise ValueError(f'VGG: num_stages must be in [1, {len(stage_convs)}], '
                             f'got {num_stages}')
        if len(dilations) != num_stages:
            raise ValueError(f'VGG: dilations {tuple(dilations)} must give one dilation for '
                             f'each of the {num_stages} stages')
        if out_indices is None:
            out_indices = (-1, )
        elif num_classes > 0:
            out_indices = with_classifier_index(
                (out_indices, ) if isinstance(out_indices, int) else out_indices, num_stages)
        super().__init__(out_indices, frozen_stages, norm_eval, init_cfg, plugins=plugins)
        self.depth = depth
        self.num_classes = num_classes
        stage_layers, names = [], []
        for i, (num_convs, channels) in enumerate(zip(stage_convs[:num_stages], self.widths)):
            layers = vgg_convs(
                in_channels,
                channels,
                num_convs,
                conv_cfg,
                norm_cfg,
                act_cfg,
                dilations[i],
                layer=ConvModule)
            if with_last_pool or i < num_stages - 1:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
            stage_layers.append(layers)
            names.append(f'layer{i + 1}')
            in_channels = channels
        self.features, stages = flat_stages(stage_layers, names)
        stage_channels = list(self.widths[:num_stages])
        if num_classes > 0:
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096),
                nn.ReLU(True),
                nn.Dropout(),
                nn.Linear(4096, 4096),
                nn.ReLU(True),
                nn.Dropout(),
                nn.Linear(4096, num_classes),
            )
            stages['classifier'] = classifier_view(self.classifier)
            stage_channels.append(num_classes)
        self._set_stages(stages, stage_channels, register=False)


__all__ = ['VGG', 'vgg_convs']
