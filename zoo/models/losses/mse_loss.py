from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss


@MODELS.register_module()
class MSELoss(BaseLoss):
    """Squared difference, element by element (mmdet's YOLOv3 head regresses box sizes with it).

    Example:
        >>> import torch
        >>> MSELoss(reduction='none')(torch.tensor([0., 2., 3.]), torch.tensor([1., 1., 1.]))
        tensor([1., 1., 4.])

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        self.check_same_shape(pred, target)
        return (pred - target)**2


__all__ = ['MSELoss']
