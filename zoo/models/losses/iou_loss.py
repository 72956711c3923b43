"""The IoU family of box regression losses: IoU, GIoU, DIoU and CIoU.

The geometry of a pair of boxes (overlap, union, enclosing box, centre distance, aspect-ratio
term) is computed in one place, :class:`AlignedBoxGeometry`; each loss writes only its formula
on top of it. Boxes are ``(x1, y1, x2, y2)``; the values equal mmdet's losses of the same names.
"""
import math
import warnings
from functools import cached_property

import torch
from torch import Tensor

from zoo.registry import MODELS
from .base_loss import BaseLoss


class AlignedBoxGeometry:
    """Geometry of ``pred[i]`` against ``target[i]``, each term computed when first used.

    Divisions are guarded by ``eps`` so that zero-area and non-overlapping boxes give finite
    values and gradients. Half-precision boxes are computed in float32 (areas overflow fp16).

    Args:
        pred: Predicted boxes ``(..., 4)`` as ``(x1, y1, x2, y2)``.
        target: Target boxes of the same shape.
        eps: Floor of the union and of the enclosing box's area and squared diagonal; also added
            to box heights in :attr:`aspect_term` (as in the DIoU/CIoU reference code).

    Example:
        >>> import torch
        >>> g = AlignedBoxGeometry(torch.tensor([[0., 0., 2., 2.]]),
        ...                        torch.tensor([[1., 1., 3., 3.]]), eps=1e-6)
        >>> g.iou, g.enclose_area, g.centre_distance2
        (tensor([0.1429]), tensor([9.]), tensor([2.]))
    """

    def __init__(self, pred: Tensor, target: Tensor, eps: float):
        if pred.shape != target.shape or pred.shape[-1:] != (4, ):
            raise ValueError(f'boxes must be (..., 4) and of the same shape, got pred '
                             f'{tuple(pred.shape)} and target {tuple(target.shape)}')
        if pred.dtype == torch.float16:
            pred, target = pred.float(), target.float()
        self.pred, self.target, self.eps = pred, target, eps

    @staticmethod
    def _area(boxes: Tensor) -> Tensor:
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])

    @cached_property
    def overlap(self) -> Tensor:
        top_left = torch.max(self.pred[..., :2], self.target[..., :2])
        bottom_right = torch.min(self.pred[..., 2:], self.target[..., 2:])
        wh = (bottom_right - top_left).clamp(min=0)
        return wh[..., 0] * wh[..., 1]

    @cached_property
    def union(self) -> Tensor:
        union = self._area(self.pred) + self._area(self.target) - self.overlap
        return union.clamp(min=self.eps)

    @cached_property
    def iou(self) -> Tensor:
        return self.overlap / self.union

    @cached_property
    def enclose_wh(self) -> Tensor:
        """Width and height of the smallest box that holds both boxes."""
        top_left = torch.min(self.pred[..., :2], self.target[..., :2])
        bottom_right = torch.max(self.pred[..., 2:], self.target[..., 2:])
        return (bottom_right - top_left).clamp(min=0)

    @cached_property
    def enclose_area(self) -> Tensor:
        return (self.enclose_wh[..., 0] * self.enclose_wh[..., 1]).clamp(min=self.eps)

    @cached_property
    def enclose_diagonal2(self) -> Tensor:
        """Squared diagonal of the enclosing box."""
        return (self.enclose_wh**2).sum(-1).clamp(min=self.eps)

    @cached_property
    def centre_distance2(self) -> Tensor:
        """Squared distance between the two boxes' centres."""
        pred_centre = (self.pred[..., :2] + self.pred[..., 2:]) / 2
        target_centre = (self.target[..., :2] + self.target[..., 2:]) / 2
        return ((target_centre - pred_centre)**2).sum(-1)

    @cached_property
    def aspect_term(self) -> Tensor:
        """CIoU's ``v``: how much the aspect ratios differ, in ``[0, 1]``."""

        def angle(boxes: Tensor) -> Tensor:
            width = boxes[..., 2] - boxes[..., 0]
            height = boxes[..., 3] - boxes[..., 1] + self.eps
            return torch.atan(width / height)

        return 4 / math.pi**2 * (angle(self.target) - angle(self.pred))**2


class BoxIoULoss(BaseLoss):
    """Base of the IoU family: an element-wise loss per pair of boxes, ``(N, 4) -> (N, )``.

    ``weight`` may be one per box ``(N, )`` or one per coordinate ``(N, 4)`` (averaged per box,
    as in mmdet); weighting, reduction and ``avg_factor`` are :class:`BaseLoss`'s.

    Args:
        eps: Guard of the divisions, see :class:`AlignedBoxGeometry`.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
    """

    def __init__(self, eps: float = 1e-6, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__(reduction=reduction, loss_weight=loss_weight)
        if eps <= 0:
            raise ValueError(f'{type(self).__name__}: eps must be positive, got {eps}')
        self.eps = eps

    def elementwise_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        return self.box_loss(AlignedBoxGeometry(pred, target, self.eps))

    def box_loss(self, boxes: AlignedBoxGeometry) -> Tensor:
        """The loss of each pair of boxes, from their geometry."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f'eps={self.eps}, ' + super().extra_repr()


@MODELS.register_module()
class IoULoss(BoxIoULoss):
    """IoU loss (`UnitBox <https://arxiv.org/abs/1608.01471>`_): ``-log(IoU)``, or ``1 - IoU``
    (``mode='linear'``), or ``1 - IoU^2`` (``mode='square'``); IoU is floored at ``eps``.

    Example:
        >>> import torch
        >>> loss = IoULoss(mode='linear', reduction='none')
        >>> loss(torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[0., 0., 2., 1.]]))
        tensor([0.5000])

    Args:
        linear: mmdet's deprecated form of ``mode='linear'`` (True overrides ``mode``, with
            mmdet's warning).
        eps: Floor of the IoU (and guard of the union).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Factor applied to the reduced loss.
        mode: ``'log'``, ``'linear'`` or ``'square'``.
    """

    MODES = ('log', 'linear', 'square')

    def __init__(self,
                 linear: bool = False,
                 eps: float = 1e-6,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 mode: str = 'log'):
        super().__init__(eps=eps, reduction=reduction, loss_weight=loss_weight)
        if mode not in self.MODES:
            raise ValueError(f'IoULoss: mode must be one of {self.MODES}, got {mode!r}')
        if linear:
            mode = 'linear'
            warnings.warn('DeprecationWarning: Setting "linear=True" in IOULoss is deprecated, '
                          'please use "mode=`linear`" instead.')
        self.linear = linear
        self.mode = mode

    def box_loss(self, boxes: AlignedBoxGeometry) -> Tensor:
        iou = boxes.iou.clamp(min=self.eps)
        if self.mode == 'log':
            return -iou.log()
        return 1 - iou if self.mode == 'linear' else 1 - iou**2

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}, ' + super().extra_repr()


@MODELS.register_module()
class GIoULoss(BoxIoULoss):
    """Generalized IoU loss (`Rezatofighi et al. <https://arxiv.org/abs/1902.09630>`_):
    ``1 - IoU + (C - U) / C``, C the enclosing box's area and U the union; in ``[0, 2)``, and
    still informative when the boxes do not overlap.

    Example:
        >>> import torch
        >>> loss = GIoULoss(reduction='none')
        >>> loss(torch.tensor([[0., 0., 1., 1.]]), torch.tensor([[2., 0., 3., 1.]]))
        tensor([1.3333])
    """

    def box_loss(self, boxes: AlignedBoxGeometry) -> Tensor:
        giou = boxes.iou - (boxes.enclose_area - boxes.union) / boxes.enclose_area
        return 1 - giou


@MODELS.register_module()
class DIoULoss(BoxIoULoss):
    """Distance-IoU loss (`Zheng et al. <https://arxiv.org/abs/1911.08287>`_):
    ``1 - IoU + d^2 / c^2``, d the distance between the centres and c the enclosing box's
    diagonal.

    Example:
        >>> import torch
        >>> loss = DIoULoss(reduction='none')
        >>> loss(torch.tensor([[0., 0., 1., 1.]]), torch.tensor([[2., 0., 3., 1.]]))
        tensor([1.4000])
    """

    def box_loss(self, boxes: AlignedBoxGeometry) -> Tensor:
        diou = boxes.iou - boxes.centre_distance2 / boxes.enclose_diagonal2
        return 1 - diou


@MODELS.register_module()
class CIoULoss(BoxIoULoss):
    """Complete-IoU loss (`Zheng et al. <https://arxiv.org/abs/2005.03572>`_): DIoU's penalty
    plus ``alpha * v``, ``v`` the aspect-ratio term and ``alpha = v / (1 - IoU + v)`` (a constant
    for the gradient, and 0 where IoU <= 0.5, as in mmdet and the authors' code); the CIoU is
    clipped to ``[-1, 1]``.

    Where mmdet divides 0 by 0 (identical boxes large enough that IoU rounds to 1), alpha's
    denominator is floored at ``eps`` here, so the loss is 0 instead of NaN.

    Example:
        >>> import torch
        >>> loss = CIoULoss(reduction='none')
        >>> loss(torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[0., 0., 2., 1.5]]))
        tensor([0.2581])
    """

    def box_loss(self, boxes: AlignedBoxGeometry) -> Tensor:
        # read before no_grad: a term first computed inside it would be cached without graph
        iou, v = boxes.iou, boxes.aspect_term
        with torch.no_grad():
            alpha = torch.where(iou > 0.5, v / (1 - iou + v).clamp(min=self.eps),
                                torch.zeros_like(v))
        ciou = iou - (boxes.centre_distance2 / boxes.enclose_diagonal2 + alpha * v)
        return 1 - ciou.clamp(min=-1.0, max=1.0)


__all__ = ['AlignedBoxGeometry', 'BoxIoULoss', 'IoULoss', 'GIoULoss', 'DIoULoss', 'CIoULoss']
