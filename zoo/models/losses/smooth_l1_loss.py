import torch
from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss


@MODELS.register_module()
class L1Loss(BaseLoss):
    """Absolute difference, element by element (e.g. of box deltas ``(N, 4)``).

    Example:
        >>> import torch
        >>> L1Loss(reduction='none')(torch.tensor([0., 2., 3.]), torch.tensor([1., 1., 1.]))
        tensor([1., 1., 2.])

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        self.check_same_shape(pred, target)
        return (pred - target).abs()


@MODELS.register_module()
class SmoothL1Loss(BaseLoss):
    """Smooth L1 (Huber divided by ``beta``; `Fast R-CNN <https://arxiv.org/abs/1504.08083>`_):
    ``0.5 * d^2 / beta`` where ``|d| < beta``, ``|d| - 0.5 * beta`` elsewhere.

    Example:
        >>> import torch
        >>> loss = SmoothL1Loss(beta=1.0, reduction='none')
        >>> loss(torch.tensor([0., 0.5, 3.]), torch.zeros(3))
        tensor([0.0000, 0.1250, 2.5000])

    Args:
        beta: Where the quadratic part turns linear, > 0.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def __init__(self, beta: float = 1.0, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if beta <= 0:
            raise ValueError(f'SmoothL1Loss: beta must be positive, got {beta}')
        # a plain attribute: mmdet's DynamicRoIHead adjusts it during training
        self.beta = beta

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        self.check_same_shape(pred, target)
        diff = (pred - target).abs()
        return torch.where(diff < self.beta, 0.5 * diff * diff / self.beta,
                           diff - 0.5 * self.beta)

    def extra_repr(self) -> str:
        return f'beta={self.beta}, ' + super().extra_repr()


__all__ = ['L1Loss', 'SmoothL1Loss']
