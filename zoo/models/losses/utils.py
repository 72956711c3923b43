from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

REDUCTIONS = ('none', 'mean', 'sum')


def expand_weight(weight: Tensor, loss: Tensor) -> Tensor:
    """``weight`` reshaped so that it multiplies ``loss`` element by element.

    Besides the loss's own shape (or one that broadcasts to it), the shapes that mmdet's heads
    pass are accepted:

    * fewer dimensions whose sizes lead the loss's, e.g. one weight a sample ``(N, )`` for a loss
      ``(N, C)`` or ``(N, 4)``: broadcast over the remaining dimensions;
    * the loss's elements flattened, ``(N * C, )`` for a loss ``(N, C)`` (mmdet's FSAF head):
      reshaped;
    * more dimensions, the loss's followed by others, e.g. one weight a box coordinate ``(N, 4)``
      for a loss a box ``(N, )`` (the IoU family): averaged over the extra dimensions, as mmdet's
      box losses do.

    Raises:
        ValueError: naming both shapes when ``weight`` fits none of these.
    """
    if weight.dim() > loss.dim() and weight.shape[:loss.dim()] == loss.shape:
        weight = weight.flatten(loss.dim()).mean(-1)
    elif weight.dim() < loss.dim():
        if weight.shape == loss.shape[:weight.dim()]:
            weight = weight.reshape(weight.shape + (1, ) * (loss.dim() - weight.dim()))
        elif weight.numel() == loss.numel():
            weight = weight.reshape(loss.shape)
    try:
        fits = torch.broadcast_shapes(weight.shape, loss.shape) == loss.shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(f'a weight of shape {tuple(weight.shape)} does not fit a loss of shape '
                         f'{tuple(loss.shape)}')
    return weight


def labels_to_binary(labels: Tensor, num_classes: int) -> Tensor:
    """Binary targets ``(..., num_classes)`` for sigmoid classifiers, from class indices ``(...)``.

    Index ``num_classes`` (mmdet's background) and any index outside ``[0, num_classes)`` give a
    row of zeros: no class is present.

    Example:
        >>> labels_to_binary(torch.tensor([0, 2, 3]), num_classes=3)
        tensor([[1, 0, 0],
                [0, 0, 1],
                [0, 0, 0]])
    """
    foreground = (labels >= 0) & (labels < num_classes)
    indices = torch.where(foreground, labels, torch.full_like(labels, num_classes))
    return F.one_hot(indices, num_classes + 1)[..., :num_classes]


def weight_reduce_loss(loss: Tensor,
                       weight: Optional[Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Apply element-wise ``weight`` to ``loss``, then reduce it.

    The single place where every zoo loss is weighted and reduced (as mmdet's
    ``weight_reduce_loss``): ``weight`` may take any shape :func:`expand_weight` accepts;
    ``avg_factor`` replaces the element count of ``'mean'`` (e.g. the number of positive
    anchors); it cannot be combined with ``'sum'``. The mean of no elements is 0, still attached
    to the graph, so that a batch without positives neither yields NaN nor breaks ``backward``.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    if weight is not None:
        loss = loss * expand_weight(weight, loss)
    if avg_factor is None:
        if reduction == 'mean':
            return loss.mean() if loss.numel() else loss.sum()
        return loss.sum() if reduction == 'sum' else loss
    if reduction == 'mean':
        # eps keeps an empty batch (avg_factor 0, loss sum 0) at 0 instead of NaN
        eps = torch.finfo(torch.float32).eps
        return loss.sum() / (avg_factor + eps)
    if reduction == 'sum':
        raise ValueError('avg_factor can not be used with reduction="sum"')
    return loss
