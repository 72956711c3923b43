from typing import List, Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from zoo.registry import MODELS
from zoo.structures import ClsDataSample


@MODELS.register_module()
class MultiLabelClsHead(BaseModule):
    """Loss and prediction of a multi-label head: one independent score a class.

    Without layers of its own (mmpretrain's ``MultiLabelClsHead``) the logits are the last
    feature. The loss learns from ``gt_score`` when the data preprocessor set one (mixed by batch
    augmentations), else from the samples' label sets turned into 0/1 vectors, averaged over the
    images (``avg_factor`` = batch size). A prediction's ``pred_score`` is the sigmoid of the
    logits; ``pred_label`` holds the classes scoring at least ``thr`` or, with ``topk``, the
    ``topk`` best.

    Args:
        loss: Config of the loss; sigmoid cross-entropy by default.
        thr: The score threshold of a positive class (0.5 when neither is given).
        topk: The number of classes predicted positive, instead of ``thr``.
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 loss: dict = dict(type='CrossEntropyLoss', use_sigmoid=True),
                 thr: Optional[float] = None,
                 topk: Optional[int] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss) if isinstance(loss, dict) else loss
        if thr is None and topk is None:
            thr = 0.5
        self.thr = thr
        self.topk = topk

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The last feature map."""
        return feats[-1]

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.pre_logits(feats)

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List[ClsDataSample]) -> dict:
        logits = self(feats)
        num_classes = logits.shape[-1]
        if 'gt_score' in data_samples[0]:
            target = torch.stack([sample.gt_score.float() for sample in data_samples])
        else:
            target = torch.zeros_like(logits)
            for row, sample in zip(target, data_samples):
                label = sample.gt_label
                if label.numel() and (label.min() < 0 or label.max() >= num_classes):
                    raise ValueError(f'{type(self).__name__}: label {label.tolist()} is outside '
                                     f'0..{num_classes - 1}')
                row[label.to(logits.device)] = 1
        return dict(loss=self.loss_module(logits, target, avg_factor=logits.shape[0]))

    def predict(
            self,
            feats: Tuple[Tensor, ...],
            data_samples: Optional[List[Optional[ClsDataSample]]] = None) -> List[ClsDataSample]:
        scores = torch.sigmoid(self(feats))
        if data_samples is None:
            data_samples = [None] * scores.shape[0]
        results = []
        for sample, score in zip(data_samples, scores):
            if self.thr is not None:
                label = torch.where(score >= self.thr)[0]
            else:
                label = score.topk(self.topk).indices
            sample = ClsDataSample() if sample is None else sample
            results.append(sample.set_pred_score(score).set_pred_label(label))
        return results


@MODELS.register_module()
class MultiLabelLinearClsHead(MultiLabelClsHead):
    """One fully connected layer to multi-label logits (mmpretrain's ``MultiLabelLinearClsHead``).

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the pooled feature.
        init_cfg: Defaults to a normal init of std 0.01, as mmpretrain's.
        **kwargs: ``loss``, ``thr``, ``topk`` of :class:`MultiLabelClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'MultiLabelLinearClsHead: num_classes must be positive, '
                             f'got {num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.fc(self.pre_logits(feats))
