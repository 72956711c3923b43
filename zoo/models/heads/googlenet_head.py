from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from zoo.registry import MODELS
from zoo.structures import ClsDataSample
from ..layers import ConvNormAct
from .cls_head import ClsHead


class InceptionAux(nn.Module):
    """GoogLeNet's auxiliary classifier (torchvision's ``InceptionAux``): a 4x4 adaptive
    average pool, a 1x1 convolution to 128 channels (BatchNorm, ReLU), a 1024-wide fully
    connected layer with ReLU and dropout, and the class logits.

    Args:
        in_channels: Channels of the feature map it classifies.
        num_classes: Number of classes.
        dropout_rate: Dropout before the last layer (0.7 in the paper).
        norm_cfg: Norm config of the convolution.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 dropout_rate: float = 0.7,
                 norm_cfg: dict = dict(type='BN', eps=0.001)):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.conv = ConvNormAct(in_channels, 128, 1, norm_cfg=norm_cfg)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout_rate)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(self.pool(x)).flatten(1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


@MODELS.register_module()
class GoogLeNetClsHead(ClsHead):
    """GoogLeNet's classifier with its auxiliary classifiers (`Going Deeper with Convolutions
    <https://arxiv.org/abs/1409.4842>`_).

    It takes the backbone's feature maps directly (no neck): the last one goes through global
    average pooling, dropout and ``fc`` to the logits; each earlier one feeds an
    :class:`InceptionAux` whose loss, weighted by ``aux_loss_weight`` (0.3), is added to the
    training losses as ``loss_aux1``, ``loss_aux2``... Prediction and ``mode='tensor'`` use the
    main classifier only: the auxiliaries cost nothing in evaluation. With
    ``GoogLeNet(out_indices=(2, 5, 8))`` and ``aux_in_channels=(512, 528)`` this is
    torchvision's ``googlenet(aux_logits=True)``; with ``aux_in_channels=()`` and
    ``out_indices=(8, )`` its published model (6,624,904 parameters in all, 6,379,984 fewer
    than with the auxiliaries).

    Example:
        >>> import torch
        >>> from zoo.structures import ClsDataSample
        >>> head = GoogLeNetClsHead(num_classes=10, in_channels=1024, aux_in_channels=(512, 528))
        >>> feats = (torch.rand(2, 512, 14, 14), torch.rand(2, 528, 14, 14),
        ...          torch.rand(2, 1024, 7, 7))
        >>> tuple(head(feats).shape)
        (2, 10)
        >>> samples = [ClsDataSample().set_gt_label(i) for i in (3, 7)]
        >>> sorted(head.loss(feats, samples))
        ['loss', 'loss_aux1', 'loss_aux2']

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the last feature map (1024).
        dropout_rate: Dropout before ``fc`` (torchvision's 0.2).
        aux_in_channels: Channels of the feature maps of the auxiliary classifiers, one per
            classifier, in the order the backbone returns them; ``()`` for none.
        aux_loss_weight: Weight of each auxiliary loss (0.3 in the paper).
        aux_dropout_rate: Dropout inside the auxiliary classifiers (0.7 in the paper).
        init_cfg: Initialisation config; the default is torchvision's (truncated normal of std
            0.01 for the linear and convolution layers).
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 1024,
                 dropout_rate: float = 0.2,
                 aux_in_channels: Sequence[int] = (),
                 aux_loss_weight: float = 0.3,
                 aux_dropout_rate: float = 0.7,
                 init_cfg: Optional[dict] = [
                     dict(type='TruncNormal', layer=['Linear', 'Conv2d'], std=0.01, a=-2, b=2),
                     dict(type='Constant', val=1, layer=['_BatchNorm'])
                 ],
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'GoogLeNetClsHead: num_classes must be positive, got '
                             f'{num_classes}')
        for name, rate in (('dropout_rate', dropout_rate), ('aux_dropout_rate', aux_dropout_rate)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f'GoogLeNetClsHead: {name} must be in [0, 1), got {rate}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.aux_loss_weight = aux_loss_weight
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout_rate)
        self.fc = nn.Linear(in_channels, num_classes)
        self.aux = nn.ModuleList(
            InceptionAux(channels, num_classes, aux_dropout_rate) for channels in aux_in_channels)

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return super().pre_logits((self.pool(feats[-1]), ))

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.fc(self.dropout(self.pre_logits(feats)))

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List[ClsDataSample]) -> dict:
        if len(feats) != len(self.aux) + 1:
            raise ValueError(
                f'GoogLeNetClsHead has {len(self.aux)} auxiliary classifiers, so it needs '
                f'{len(self.aux) + 1} feature maps (GoogLeNet out_indices=(2, 5, 8) for two), '
                f'got {len(feats)}')
        losses = super().loss(feats, data_samples)
        target = torch.cat([sample.gt_label for sample in data_samples])
        for i, (aux, feat) in enumerate(zip(self.aux, feats)):
            losses[f'loss_aux{i + 1}'] = self.aux_loss_weight * self.loss_module(aux(feat), target)
        return losses


__all__ = ['InceptionAux', 'GoogLeNetClsHead']
