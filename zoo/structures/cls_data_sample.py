from multiprocessing.reduction import ForkingPickler
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelType = Union[torch.Tensor, np.ndarray, Sequence[int], int]

# A tensor up to this size crosses from a data loader worker inside the pickle. torch shares
# every tensor through its own shared-memory file instead, whose descriptor the main process
# fetches from the worker in a round trip: 0.6 ms a label on the 2-core CI host, 176 ms for a
# batch of 256 samples (5 ms in the pickle). Copying 256 KiB through the pipe costs about that.
IN_BAND_BYTES = 1 << 18


def format_label(value: LabelType) -> torch.Tensor:
    """A label (or several, for multi-label data) as a 1-D ``int64`` tensor."""
    if isinstance(value, (int, np.integer)):  # the common case, once a sample: the cheapest
        # path (1.6 us; torch.full 3.0, torch.tensor([v]) 6.8 and an ABC check for Sequence more)
        return torch.from_numpy(np.array([value], dtype=np.int64))
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
    MMEngine's ``DumpResults``. From a data loader worker a sample crosses with its small tensors
    inside the pickle (see ``IN_BAND_BYTES``).
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


def _in_band(value) -> Optional[np.ndarray]:
    """``value`` as the numpy array that carries it in a pickle, where it is a small CPU tensor
    numpy can hold (None: torch's shared memory carries it, as any tensor)."""
    if (type(value) is not torch.Tensor or value.device.type != 'cpu' or value.requires_grad
            or value.numel() * value.element_size() > IN_BAND_BYTES):
        return None
    try:
        return value.numpy()
    except (TypeError, RuntimeError):  # bfloat16 and the like, conjugate or negative views
        return None


def _rebuild(cls: type, fields: dict, arrays: dict) -> BaseDataElement:
    sample = cls.__new__(cls)
    fields.update({
        name: torch.from_numpy(np.require(a, requirements='W'))
        for name, a in arrays.items()
    })
    sample.__dict__.update(fields)
    return sample


def _reduce_for_another_process(sample: BaseDataElement):
    """How a data sample crosses to another process (a data loader worker's batch): its small
    tensors (``gt_label``, ``gt_score``) inside the pickle, the rest as torch sends it. Plain
    ``pickle`` and ``copy`` are not affected."""
    fields, arrays = {}, {}
    for name, value in sample.__dict__.items():
        array = _in_band(value)
        if array is None:
            fields[name] = value
        else:
            arrays[name] = array
    return _rebuild, (type(sample), fields, arrays)


ForkingPickler.register(ClsDataSample, _reduce_for_another_process)
