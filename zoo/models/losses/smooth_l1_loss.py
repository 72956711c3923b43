from functools import lru_cache
from typing import Optional

import torch
from torch import Tensor

from zoo.registry import MODELS
from ..utils.peer import resolve_peer
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

    mmdet's ``DynamicRoIHead`` (Dynamic R-CNN) asserts that its ``loss_bbox`` is an instance of
    mmdet's ``SmoothL1Loss`` before it adjusts ``beta`` during training. So with ``peer='mmdet'``
    (the default in scope ``'mmdet'``, see :mod:`zoo.models.utils.peer`) the instance is also one
    of mmdet's class: its type is a subclass of both, made on first use (it computes with zoo's
    code). Elsewhere mmdet is never imported.

    Args:
        beta: Where the quadratic part turns linear, > 0.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
        peer: ``'mmdet'``, ``'mmpretrain'`` or ``None`` (the default scope's), see above.
    """

    def __new__(cls, *args, peer: Optional[str] = None, **kwargs):
        if resolve_peer(cls.__name__, peer) == 'mmdet':
            cls = with_mmdet_base(cls)
        return super().__new__(cls)

    def __init__(self,
                 beta: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 peer: Optional[str] = None):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if beta <= 0:
            raise ValueError(f'SmoothL1Loss: beta must be positive, got {beta}')
        # a plain attribute: mmdet's DynamicRoIHead adjusts it during training
        self.beta = beta

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        self.check_same_shape(pred, target)
        diff = (pred - target).abs()
        return torch.where(diff < self.beta, 0.5 * diff * diff / self.beta, diff - 0.5 * self.beta)

    def extra_repr(self) -> str:
        return f'beta={self.beta}, ' + super().extra_repr()


@lru_cache(maxsize=None)
def with_mmdet_base(cls: type) -> type:
    """``cls`` with mmdet's ``SmoothL1Loss`` as a further base (``cls`` itself if it already has
    it, or if mmdet's models cannot be imported here)."""
    if any(base.__module__.startswith('mmdet.') for base in cls.__mro__):
        return cls
    try:
        from mmdet.models.losses import SmoothL1Loss as MMDetSmoothL1Loss
    except ImportError:
        return cls
    return type(cls.__name__, (cls, MMDetSmoothL1Loss),
                dict(__module__=cls.__module__, __doc__=cls.__doc__))


__all__ = ['L1Loss', 'SmoothL1Loss']
