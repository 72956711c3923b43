from typing import Optional

from torch import Tensor, nn

from .utils import REDUCTIONS, weight_reduce_loss


class BaseLoss(nn.Module):
    """Weighting, reduction and scaling shared by every zoo loss.

    A subclass writes only its element-wise formula in :meth:`elementwise_loss`; this class
    applies ``weight``, reduces by ``reduction`` (or ``reduction_override``) and ``avg_factor``,
    and scales by ``loss_weight``, the same call signature as mmdet's losses so that a zoo loss
    drops into an mmdet head. ``weight`` may have the loss's shape or any shape that
    :func:`~zoo.models.losses.utils.expand_weight` accepts (one per sample, flattened, or one
    per box coordinate for a loss per box); an empty input gives 0 with a gradient.

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: reduction must be one of {REDUCTIONS}, '
                             f'got {reduction!r}')
        self.reduction = reduction
        self.loss_weight = loss_weight

    def elementwise_loss(self, pred: Tensor, target: Tensor, **kwargs) -> Tensor:
        raise NotImplementedError

    def check_same_shape(self, pred: Tensor, target: Tensor) -> None:
        """Raise a ``ValueError`` naming both shapes unless ``pred`` and ``target`` match."""
        if pred.shape != target.shape:
            raise ValueError(f'{type(self).__name__}: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} must have the same shape')

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        reduction = reduction_override or self.reduction
        loss = self.elementwise_loss(pred, target, **kwargs)
        try:
            reduced = weight_reduce_loss(loss, weight, reduction, avg_factor)
        except ValueError as error:
            raise ValueError(f'{type(self).__name__}: {error}') from None
        return self.loss_weight * reduced

    def extra_repr(self) -> str:
        return f'reduction={self.reduction!r}, loss_weight={self.loss_weight}'
