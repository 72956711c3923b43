from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss
from .utils import labels_to_binary


@MODELS.register_module()
class CrossEntropyLoss(BaseLoss):
    """Softmax cross-entropy, or per-class sigmoid (binary) cross-entropy.

    Softmax (the default): ``target`` is either class indices of shape ``(N, )`` or class
    probabilities of shape ``(N, C)`` (mixup-style soft labels). As in mmpretrain and mmdet,
    ``'mean'`` averages over samples (it does not divide by the sum of class weights, as
    ``F.cross_entropy`` would).

    Sigmoid (``use_sigmoid=True``, mmdet's RPN and YOLOv3 heads): one independent binary
    cross-entropy per class. ``target`` is either binary (or soft) of ``pred``'s shape, or class
    indices ``(N, )`` where index ``C`` (mmdet's background) means no class is present; a
    one-logit RPN head thus reads label 0 as object and 1 as background.

    Targets equal to ``ignore_index`` contribute 0 (and, for the sigmoid form, so do negative
    targets, as in mmdet); with ``avg_non_ignore`` the mean is over the other elements only.

    Example:
        >>> import torch
        >>> loss = CrossEntropyLoss()
        >>> loss(torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0]))
        tensor(1.1269)
        >>> rpn_loss = CrossEntropyLoss(use_sigmoid=True)
        >>> rpn_loss(torch.tensor([[2.0], [2.0]]), torch.tensor([0, 1]))  # object, background
        tensor(1.1269)

    Args:
        label_smoothing: Share of the probability mass spread uniformly over all classes
            (0 disables it), in ``[0, 1)``; softmax only.
        class_weight: One weight a class. Softmax: applied to the loss of each sample by its
            target. Sigmoid: the weight of each class's positive term (``pos_weight``), as mmdet.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
        use_sigmoid: Per-class sigmoid instead of softmax over classes.
        ignore_index: Target value that is ignored; ``None`` is ``-100``, as in PyTorch. A call
            may override it (``loss(pred, target, ignore_index=255)``).
        avg_non_ignore: Whether ``'mean'`` (without ``avg_factor``) divides by the number of
            elements that are not ignored rather than by all elements.
    """

    def __init__(self,
                 label_smoothing: float = 0.0,
                 class_weight: Optional[Union[Sequence[float], Tensor]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 use_sigmoid: bool = False,
                 ignore_index: Optional[int] = None,
                 avg_non_ignore: bool = False):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'CrossEntropyLoss: label_smoothing must be in [0, 1), '
                             f'got {label_smoothing}')
        if use_sigmoid and label_smoothing:
            raise ValueError('CrossEntropyLoss: label_smoothing applies to the softmax form only, '
                             'not with use_sigmoid=True')
        self.label_smoothing = label_smoothing
        self.use_sigmoid = use_sigmoid
        self.ignore_index = -100 if ignore_index is None else ignore_index
        self.avg_non_ignore = avg_non_ignore
        # A buffer follows the model to its device and dtype. mmdet's DETR head passes a tensor.
        self.register_buffer(
            'class_weight',
            None if class_weight is None else torch.as_tensor(class_weight,
                                                              dtype=torch.float32).flatten(),
            persistent=False)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None) -> Tensor:
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        if (self.avg_non_ignore and avg_factor is None
                and (reduction_override or self.reduction) == 'mean'):
            valid = self.valid_mask(pred, target, ignore_index)
            if valid is not None:
                loss_shape = pred.shape if self.use_sigmoid else target.shape
                avg_factor = torch.broadcast_to(valid, loss_shape).sum().item()
        return super().forward(pred, target, weight, avg_factor, reduction_override,
                               ignore_index=ignore_index)

    def valid_mask(self, pred: Tensor, target: Tensor, ignore_index: int) -> Optional[Tensor]:
        """Where ``target`` is not ignored, broadcastable to the element-wise loss; ``None``
        for soft labels of the softmax form, which nothing can ignore."""
        if self.use_sigmoid:
            valid = (target >= 0) & (target != ignore_index)
            return valid.unsqueeze(-1) if target.dim() == pred.dim() - 1 else valid
        return None if target.is_floating_point() else target != ignore_index

    def elementwise_loss(self, pred: Tensor, target: Tensor, ignore_index: int) -> Tensor:
        num_classes = pred.shape[-1] if self.use_sigmoid else pred.shape[1]
        if self.class_weight is not None and self.class_weight.numel() != num_classes:
            raise ValueError(f'CrossEntropyLoss: class_weight has {self.class_weight.numel()} '
                             f'entries but the prediction has {num_classes} classes')
        if not self.use_sigmoid:
            return F.cross_entropy(
                pred,
                target,
                weight=self.class_weight,
                reduction='none',
                ignore_index=ignore_index,
                label_smoothing=self.label_smoothing)
        valid = self.valid_mask(pred, target, ignore_index)
        if target.dim() == pred.dim() - 1:
            target = labels_to_binary(target, num_classes)
        self.check_same_shape(pred, target)
        loss = F.binary_cross_entropy_with_logits(
            pred, target.type_as(pred), pos_weight=self.class_weight, reduction='none')
        return loss * valid

    def extra_repr(self) -> str:
        return (f'use_sigmoid={self.use_sigmoid}, label_smoothing={self.label_smoothing}, '
                f'ignore_index={self.ignore_index}, avg_non_ignore={self.avg_non_ignore}, ' +
                super().extra_repr())
