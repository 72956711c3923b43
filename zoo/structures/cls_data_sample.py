from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelType = Union[torch.Tensor, np.ndarray, Sequence[int], int]


def format_label(value: LabelType) -> torch.Tensor:
    """A label (or several, for multi-label data) as a 1-D ``int64`` tensor."""
    if isinstance(value, (int, np.integer)):  # the common case, once a sample: the cheapest
        # path (an ABC check for Sequence and torch.tensor([v]) cost 5x torch.full)
        return torch.full((1, ), int(value), dtype=torch.int64)
    if isinstance(value, (torch.Tensor, np.ndarray)):
        tensor = torch.as_tensor(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        tensor = torch.tensor(value)
    else:
        raise TypeError(f'a label must be an int, a sequence of ints or a tensor, '
                        f'got {type(value).__name__}: {value!r}')
    return tensor.to(torch.int64).reshape(-1)


class ClsDataSample(BaseDataElement):
    """Annotations and predictions of one image for classification.

    Fields (all metainfo-free data fields, so they follow ``.to(device)``):

    * ``gt_label``: 1-D ``int64`` tensor of ground-truth class indices;
    * ``pred_score``: 1-D float tensor, the predicted probability of every class;
    * ``pred_label``: 1-D ``int64`` tensor holding the top-1 class.

    ``tools/test.py --out`` dumps these fields (with ``img_path`` and the other metainfo) through
    MMEngine's ``DumpResults``.
    """

    def set_gt_label(self, value: LabelType) -> 'ClsDataSample':
        self.gt_label = format_label(value)
        return self

    def set_pred_score(self, value: torch.Tensor) -> 'ClsDataSample':
        if value.ndim != 1:
            raise ValueError(f'pred_score must be 1-D (one score a class), got shape '
                             f'{tuple(value.shape)}')
        self.pred_score = value
        return self

    def set_pred_label(self, value: LabelType) -> 'ClsDataSample':
        self.pred_label = format_label(value)
        return self
