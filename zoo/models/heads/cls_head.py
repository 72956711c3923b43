from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from zoo.registry import MODELS
from zoo.structures import ClsDataSample


@MODELS.register_module()
class ClsHead(BaseModule):
    """Loss and prediction of a single-label classification head, written once.

    Used as it is (mmpretrain's ``ClsHead``), it has no layers: the logits are the last feature,
    for backbones that end in their own classifier (``VGG(num_classes=...)``, ``LeNet5``).
    Subclasses turn the neck's features into logits in :meth:`forward`.

    The loss learns from each sample's ``gt_score`` when the data preprocessor set one (one-hot
    labels mixed by Mixup/CutMix), otherwise from ``gt_label``, and is averaged over the images
    (``avg_factor`` = batch size), as mmpretrain's.

    Args:
        loss: Config of the classification loss.
        topk: Top-k accuracies logged with the training loss when ``cal_acc`` is True.
        cal_acc: Whether to log training accuracy (mixup-style soft labels make it meaningless).
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 topk: Union[int, Sequence[int]] = (1, ),
                 cal_acc: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss) if isinstance(loss, dict) else loss
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        self.cal_acc = cal_acc

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The last feature map of the neck, flattened to ``(N, in_channels)``."""
        x = feats[-1].flatten(1)
        in_channels = getattr(self, 'in_channels', x.shape[1])
        if x.shape[1] != in_channels:
            raise ValueError(f'{type(self).__name__}: in_channels is {in_channels} but its input '
                             f'flattens to {x.shape[1]} features (shape {tuple(feats[-1].shape)})')
        return x

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.pre_logits(feats)

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List[ClsDataSample]) -> dict:
        logits = self(feats)
        if 'gt_score' in data_samples[0]:
            target = torch.stack([sample.gt_score for sample in data_samples])
        else:
            target = torch.cat([sample.gt_label for sample in data_samples])
            if target.numel() != logits.shape[0]:
                raise ValueError(f'{type(self).__name__} is single-label: got {target.numel()} '
                                 f'labels for {logits.shape[0]} images')
        losses = dict(loss=self.loss_module(logits, target, avg_factor=logits.shape[0]))
        if self.cal_acc:
            if target.ndim != 1:
                raise ValueError(f'{type(self).__name__}: cal_acc needs hard labels; with batch '
                                 f'augmentations (Mixup, CutMix) the targets are mixed scores: '
                                 f'set cal_acc=False')
            maxk = min(max(self.topk), logits.shape[1])
            correct = logits.topk(maxk, dim=1).indices == target[:, None]
            for k in self.topk:
                losses[f'accuracy_top-{k}'] = correct[:, :k].any(dim=1).float().mean() * 100
        return losses

    def predict(
            self,
            feats: Tuple[Tensor, ...],
            data_samples: Optional[List[Optional[ClsDataSample]]] = None) -> List[ClsDataSample]:
        scores = F.softmax(self(feats), dim=1)
        labels = scores.argmax(dim=1)
        if data_samples is None:
            data_samples = [None] * scores.shape[0]
        results = []
        for sample, score, label in zip(data_samples, scores, labels):
            sample = ClsDataSample() if sample is None else sample
            results.append(sample.set_pred_score(score).set_pred_label(label))
        return results
