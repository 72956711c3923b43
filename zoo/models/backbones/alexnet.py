from typing import List, Optional, Sequence, Union

from torch import nn

from zoo.registry import MODELS
from .base_backbone import BaseBackbone
from .flat_features import classifier_view, flat_stages
from .lenet import conv_norm_act


@MODELS.register_module()
class AlexNet(BaseBackbone):
    """AlexNet (`One weird trick for parallelizing convolutional neural networks
    <https://arxiv.org/abs/1404.5997>`_), torchvision's variant: mmpretrain's ``AlexNet``.

    Five stages, one per convolution, each followed by its ReLU and, for stages 1, 2 and 5, a
    3x3 max pool of stride 2: channels 64, 192, 384, 256, 256. As in mmpretrain and torchvision
    the layers sit in one flat ``features`` Sequential (the stages are views of it; the keys
    are torchvision's and mmpretrain's), and ``num_classes > 0`` adds mmpretrain's
    ``classifier`` (dropout, Linear 4096, ReLU, dropout, Linear 4096, ReLU, Linear: a flattened
    256x6x6 input, so 224x224 images) as a sixth stage. torchvision's adaptive 6x6 average
    pool is the ``GlobalAveragePooling(output_size=6)`` neck, its classifier a
    ``StackedLinearClsHead`` (which puts each dropout after its ReLU rather than before the
    linear layer: the same parameters). Inputs need at least 63x63 pixels.

    Args:
        num_classes: Classes of the backbone's own classifier; ``<= 0`` for none.
        in_channels: Input image channels (zoo's).
        out_indices: Stages whose outputs are returned; ``None`` is the last (the logits when
            there is a classifier, as mmpretrain's only output).
        frozen_stages: ``-1`` freezes nothing, ``k`` the first ``k`` stages (there is no stem).
        conv_cfg: Convolution config; ``None`` is Conv2d.
        norm_cfg: Norm config after each convolution; ``None`` (the original) for none.
        act_cfg: Activation config.
        norm_eval: Whether norm layers stay in eval mode in training.
        init_cfg: Initialisation config; ``None`` keeps PyTorch's default initialisation, which
            is what torchvision's AlexNet uses.

    Example:
        >>> import torch
        >>> from zoo.models.backbones import AlexNet
        >>> model = AlexNet(out_indices=(0, 1, 2, 3, 4)).eval()
        >>> for out in model(torch.rand(1, 3, 224, 224)):
        ...     print(tuple(out.shape))
        (1, 64, 27, 27)
        (1, 192, 13, 13)
        (1, 384, 13, 13)
        (1, 256, 13, 13)
        (1, 256, 6, 6)
    """

    # (output channels, kernel size, stride, padding, max pool after the activation) per stage
    stage_settings = (
        (64, 11, 4, 2, True),
        (192, 5, 1, 2, True),
        (384, 3, 1, 1, False),
        (256, 3, 1, 1, False),
        (256, 3, 1, 1, True),
    )

    def __init__(self,
                 num_classes: int = -1,
                 in_channels: int = 3,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(-1 if out_indices is None else out_indices, frozen_stages, norm_eval,
                         init_cfg)
        self.num_classes = num_classes
        stage_layers, stage_channels = [], []
        for channels, kernel, stride, padding, with_pool in self.stage_settings:
            layers = conv_norm_act(
                in_channels,
                channels,
                kernel,
                conv_cfg,
                norm_cfg,
                act_cfg,
                stride=stride,
                padding=padding)
            if with_pool:
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            stage_layers.append(layers)
            stage_channels.append(channels)
            in_channels = channels
        names = [f'layer{i + 1}' for i in range(len(stage_layers))]
        self.features, stages = flat_stages(stage_layers, names)
        if num_classes > 0:
            self.classifier = nn.Sequential(
                nn.Dropout(),
                nn.Linear(256 * 6 * 6, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(),
                nn.Linear(4096, 4096),
                nn.ReLU(inplace=True),
                nn.Linear(4096, num_classes),
            )
            stages['classifier'] = classifier_view(self.classifier)
            stage_channels.append(num_classes)
        self._set_stages(stages, stage_channels, register=False)


__all__ = ['AlexNet']
