from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss


@MODELS.register_module()
class LabelSmoothLoss(BaseLoss):
    """Cross-entropy against smoothed labels (mmpretrain's ``LabelSmoothLoss``).

    The target, class indices ``(N, )`` or one-hot / mixed scores ``(N, C)``, is smoothed by
    ``eps``, then scored with softmax cross-entropy against soft labels or, with
    ``use_sigmoid``, per-class binary cross-entropy:

    * ``'original'``: ``label * (1 - eps) + eps / C`` (Szegedy et al.), ``eps`` =
      ``label_smooth_val``;
    * ``'classy_vision'``: the same with ``eps = label_smooth_val / (1 + label_smooth_val)``,
      which equals ClassyVision's ``(label + eps) / (1 + eps * C)`` normalisation;
    * ``'multi_label'``: every positive becomes ``1 - eps`` and every negative ``eps``; sigmoid
      by default.

    Example:
        >>> loss = LabelSmoothLoss(label_smooth_val=0.1)
        >>> loss(torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0]))
        tensor(1.1269)

    Args:
        label_smooth_val: The smoothing strength, in ``[0, 1)``.
        num_classes: The number of classes; ``None`` takes it from the prediction.
        use_sigmoid: Binary cross-entropy instead of softmax; ``None`` picks the mode's usual
            form (sigmoid for ``'multi_label'`` only).
        mode: ``'original'``, ``'classy_vision'`` or ``'multi_label'``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
        class_weight: One weight a class, multiplying each class's term.
        pos_weight: One weight a class for the positive term of the sigmoid form.
    """

    MODES = ('original', 'classy_vision', 'multi_label')

    def __init__(self,
                 label_smooth_val: float,
                 num_classes: Optional[int] = None,
                 use_sigmoid: Optional[bool] = None,
                 mode: str = 'original',
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 class_weight: Optional[Union[Sequence[float], Tensor]] = None,
                 pos_weight: Optional[Union[Sequence[float], Tensor]] = None):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if isinstance(label_smooth_val, bool) or not isinstance(label_smooth_val, (int, float)) \
                or not 0 <= label_smooth_val < 1:
            raise ValueError(f'LabelSmoothLoss: label_smooth_val must be a number in [0, 1), '
                             f'got {label_smooth_val!r}')
        if mode not in self.MODES:
            raise ValueError(f'LabelSmoothLoss: mode must be one of {self.MODES}, got {mode!r}')
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes <= 0):
            raise ValueError(f'LabelSmoothLoss: num_classes must be a positive int, '
                             f'got {num_classes!r}')
        self.label_smooth_val = float(label_smooth_val)
        self.num_classes = num_classes
        self.mode = mode
        self.eps = self.label_smooth_val
        if mode == 'classy_vision':
            self.eps = self.label_smooth_val / (1 + self.label_smooth_val)
        self.use_sigmoid = (mode == 'multi_label') if use_sigmoid is None else bool(use_sigmoid)
        if pos_weight is not None and not self.use_sigmoid:
            raise ValueError('LabelSmoothLoss: pos_weight applies to the sigmoid form only '
                             '(use_sigmoid=True or mode="multi_label")')
        for name, value in (('class_weight', class_weight), ('pos_weight', pos_weight)):
            self.register_buffer(
                name,
                None if value is None else torch.as_tensor(value, dtype=torch.float32).flatten(),
                persistent=False)

    def smooth_label(self, pred: Tensor, target: Tensor) -> Tensor:
        """``target`` as smoothed scores of ``pred``'s shape ``(N, C)``."""
        num_classes = pred.shape[1]
        if self.num_classes is not None and self.num_classes != num_classes:
            raise ValueError(f'LabelSmoothLoss: num_classes is {self.num_classes} but the '
                             f'prediction has {num_classes} classes')
        if target.dim() == 1 or (target.dim() == 2 and target.shape[1] == 1):
            target = F.one_hot(target.view(-1).long(), num_classes)
        target = target.float()
        self.check_same_shape(pred, target)
        if self.mode == 'multi_label':
            return torch.where(target > 0, 1 - self.eps, self.eps).to(target)
        return target * (1 - self.eps) + self.eps / num_classes

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        target = self.smooth_label(pred, target)
        if self.use_sigmoid:
            return F.binary_cross_entropy_with_logits(
                pred,
                target,
                weight=self.class_weight,
                pos_weight=self.pos_weight,
                reduction='none')
        loss = -target * F.log_softmax(pred, dim=-1)
        if self.class_weight is not None:
            loss = loss * self.class_weight
        return loss.sum(dim=-1)

    def extra_repr(self) -> str:
        return (f'label_smooth_val={self.label_smooth_val}, mode={self.mode!r}, '
                f'use_sigmoid={self.use_sigmoid}, ' + super().extra_repr())
