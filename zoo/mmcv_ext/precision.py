"""The dtype torchvision's kernels run in for mmcv's calls."""
from typing import Tuple

import torch
from torch import Tensor

FULL = (torch.float32, torch.float64)


def kernel_dtype(*tensors: Tensor) -> Tuple[Tensor, ...]:
    """The tensors as they are if they share float32 or float64; else all in float32.

    torchvision's CPU kernels have no bfloat16 and take one dtype for all inputs, so half or
    bf16 features (mixed precision) with float32 boxes run in float32, as torchvision's own
    autocast wrappers do; the boxes are never rounded to the features' dtype.
    """
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) == 1 and dtypes <= set(FULL):
        return tensors
    return tuple(t.float() for t in tensors)
