from typing import List, Optional, Sequence, Union

from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from torch import nn

from zoo.registry import MODELS
from .base_backbone import BaseBackbone
from .flat_features import classifier_view, flat_stages


def conv_norm_act(in_channels: int, out_channels: int, kernel_size: int, conv_cfg: Optional[dict],
                  norm_cfg: Optional[dict], act_cfg: Optional[dict],
                  **conv_kwargs) -> List[nn.Module]:
    """A convolution, its optional norm and its activation as separate layers, the way the flat
    ``features`` of LeNet-5 and AlexNet hold them (the conv has a bias when there is no
    norm)."""
    layers = [
        build_conv_layer(
            conv_cfg, in_channels, out_channels, kernel_size, bias=norm_cfg is None, **conv_kwargs)
    ]
    if norm_cfg is not None:
        layers.append(build_norm_layer(norm_cfg, out_channels)[1])
    if act_cfg is not None:
        layers.append(build_activation_layer(act_cfg))
    return layers


@MODELS.register_module()
class LeNet5(BaseBackbone):
    """LeNet-5 (`Gradient-Based Learning Applied to Document Recognition
    <https://ieeexplore.ieee.org/document/726791>`_): mmpretrain's ``LeNet5``.

    Three stages, one per 5x5 convolution: ``layer1`` (conv 6, tanh, 2x2 average pool),
    ``layer2`` (conv 16, tanh, 2x2 average pool) and ``layer3`` (conv 120, tanh). A 32x32 image
    becomes a 120x1x1 feature. As in mmpretrain the layers sit in one flat ``features``
    Sequential (the stages are views of it) and ``num_classes > 0`` adds its ``classifier``
    (Linear 84, tanh, Linear) as a fourth stage, so its checkpoints load strictly; without it
    the classifier is ``StackedLinearClsHead`` with ``mid_channels=[84]`` and tanh.

    Args:
        num_classes: Classes of the backbone's own classifier; ``<= 0`` for none.
        in_channels: Input image channels (1 for grey-scale digits; zoo's).
        out_indices: Stages whose outputs are returned; ``None`` is the last (the logits when
            there is a classifier, as mmpretrain's only output).
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution; ``None`` (the original) for none.
        act_cfg: Activation config; the original uses tanh.
        norm_eval: Whether norm layers stay in eval mode in training.
        init_cfg: Initialisation config; ``None`` keeps PyTorch's default initialisation.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import LeNet5
        >>> model = LeNet5(out_indices=(0, 1, 2)).eval()
        >>> for out in model(torch.rand(1, 1, 32, 32)):
        ...     print(tuple(out.shape))
        (1, 6, 14, 14)
        (1, 16, 5, 5)
        (1, 120, 1, 1)
        >>> tuple(LeNet5(num_classes=10)(torch.rand(2, 1, 32, 32))[0].shape)
        (2, 10)
    """

    # (output channels, average pool after the activation) per stage
    stage_settings = ((6, True), (16, True), (120, False))

    def __init__(self,
                 num_classes: int = -1,
                 in_channels: int = 1,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='Tanh'),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(-1 if out_indices is None else out_indices, frozen_stages, norm_eval,
                         init_cfg)
        self.num_classes = num_classes
        stage_layers, stage_channels = [], []
        for channels, with_pool in self.stage_settings:
            layers = conv_norm_act(in_channels, channels, 5, conv_cfg, norm_cfg, act_cfg)
            if with_pool:
                layers.append(nn.AvgPool2d(kernel_size=2))
            stage_layers.append(layers)
            stage_channels.append(channels)
            in_channels = channels
        names = [f'layer{i + 1}' for i in range(len(stage_layers))]
        self.features, stages = flat_stages(stage_layers, names)
        if num_classes > 0:
            self.classifier = nn.Sequential(
                nn.Linear(120, 84), build_activation_layer(act_cfg), nn.Linear(84, num_classes))
            stages['classifier'] = classifier_view(self.classifier)
            stage_channels.append(num_classes)
        self._set_stages(stages, stage_channels, register=False)


__all__ = ['LeNet5', 'conv_norm_act']
