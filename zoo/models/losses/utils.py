from typing import Optional

import torch
from torch import Tensor

REDUCTIONS = ('none', 'mean', 'sum')


def weight_reduce_loss(loss: Tensor,
                       weight: Optional[Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Apply element-wise ``weight`` to ``loss``, then reduce it.

    The single place where every zoo loss is weighted and reduced (as mmdet's
    ``weight_reduce_loss``): ``avg_factor`` replaces the element count of ``'mean'`` (e.g. the
    number of positive anchors); it cannot be combined with ``'sum'``.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    if weight is not None:
        if weight.dim() < loss.dim():  # a weight per sample broadcast over the rest
            weight = weight.reshape(weight.shape + (1, ) * (loss.dim() - weight.dim()))
        loss = loss * weight
    if avg_factor is None:
        if reduction == 'mean':
            return loss.mean()
        return loss.sum() if reduction == 'sum' else loss
    if reduction == 'mean':
        # eps keeps an empty batch (avg_factor 0, loss sum 0) at 0 instead of NaN
        eps = torch.finfo(torch.float32).eps
        return loss.sum() / (avg_factor + eps)
    if reduction == 'sum':
        raise ValueError('avg_factor can not be used with reduction="sum"')
    return loss
