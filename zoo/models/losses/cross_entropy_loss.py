from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss


@MODELS.register_module()
class CrossEntropyLoss(BaseLoss):
    """Softmax cross-entropy with optional label smoothing and class weights.

    ``target`` is either class indices of shape ``(N, )`` or class probabilities of shape
    ``(N, C)`` (mixup-style soft labels). As in mmpretrain and mmdet, ``'mean'`` averages over
    samples (it does not divide by the sum of class weights, as ``F.cross_entropy`` would).

    Args:
        label_smoothing: Share of the probability mass spread uniformly over all classes
            (0 disables it), in ``[0, 1)``.
        class_weight: One weight a class, applied to the loss of each sample by its target.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def __init__(self,
                 label_smoothing: float = 0.0,
                 class_weight: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'CrossEntropyLoss: label_smoothing must be in [0, 1), '
                             f'got {label_smoothing}')
        self.label_smoothing = label_smoothing
        # A buffer follows the model to its device and dtype.
        self.register_buffer(
            'class_weight',
            None if class_weight is None else torch.tensor(class_weight, dtype=torch.float32),
            persistent=False)

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        if self.class_weight is not None and self.class_weight.numel() != pred.shape[-1]:
            raise ValueError(f'CrossEntropyLoss: class_weight has {self.class_weight.numel()} '
                             f'entries but the prediction has {pred.shape[-1]} classes')
        return F.cross_entropy(
            pred,
            target,
            weight=self.class_weight,
            reduction='none',
            label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return f'label_smoothing={self.label_smoothing}, ' + super().extra_repr()
