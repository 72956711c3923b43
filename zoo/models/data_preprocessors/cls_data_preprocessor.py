from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import ImgDataPreprocessor
from mmengine.structures import BaseDataElement

from zoo.models.utils.batch_augments import RandomBatchAugment
from zoo.registry import MODELS


@MODELS.register_module()
class ClsDataPreprocessor(ImgDataPreprocessor):
    """Moves a batch to the model's device, then converts, normalises and stacks it there.

    Normalising after the transfer keeps the data loader's tensors ``uint8`` (4x less to copy
    than float) and runs the arithmetic on the accelerator. This is MMEngine's
    ``ImgDataPreprocessor`` under mmpretrain's argument names, so mmpretrain configs carry over.

    With ``to_onehot`` (or ``batch_augments``, which turns it on, as mmpretrain's) each data
    sample also gets ``gt_score``, its one-hot label ``(num_classes, )``; during training the
    batch augmentations (Mixup, CutMix...) then mix the images and those scores, and the heads
    learn from the scores.

    Args:
        mean: Per-channel mean subtracted from the images (``None``: no normalisation).
        std: Per-channel standard deviation the images are divided by.
        to_rgb: Whether to flip BGR (what OpenCV decodes) to RGB, as torchvision-trained
            weights expect.
        pad_size_divisor: Pad each batch so that its height and width divide by this.
        pad_value: Value of the padded pixels.
        non_blocking: Whether to copy to the device asynchronously.
        to_onehot: Whether to set ``gt_score`` from ``gt_label``.
        num_classes: The length of ``gt_score`` (else a sample's ``num_classes`` metainfo).
        batch_augments: ``dict(augments=..., probs=...)`` of :class:`RandomBatchAugment`
            (``ImageClassifier`` passes its ``train_cfg`` here).
        channels_last: Whether to hand the model every batch in ``torch.channels_last``
            (NHWC) memory format; ``ImageClassifier`` then converts its 4-D weights as well.
            Faster convolutions with cuDNN under AMP; a copy per batch.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 to_rgb: bool = False,
                 pad_size_divisor: int = 1,
                 pad_value: float = 0,
                 non_blocking: bool = False,
                 to_onehot: bool = False,
                 num_classes: Optional[int] = None,
                 batch_augments: Optional[dict] = None,
                 channels_last: bool = False):
        if (mean is None) != (std is None):
            raise ValueError('ClsDataPreprocessor: give both mean and std, or neither')
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=to_rgb,
            non_blocking=non_blocking)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes <= 0):
            raise ValueError(f'ClsDataPreprocessor: num_classes must be a positive int, '
                             f'got {num_classes!r}')
        self.num_classes = num_classes
        self.batch_augments = RandomBatchAugment(**batch_augments) if batch_augments else None
        self.to_onehot = to_onehot or self.batch_augments is not None
        self.channels_last = channels_last

    def cast_data(self, data):
        """MMEngine's, except that on the CPU the data samples stay as the loader made them:
        MMEngine rebuilds every sample (each field through ``.to``) to move it nowhere, about
        15% of a LeNet-5 training iteration, and a list of them without visiting each one.
        Tensors go through ``.to`` as before."""
        if self.device.type == 'cpu' and _data_samples(data):
            return data
        return super().cast_data(data)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if (self.pad_size_divisor == 1 and isinstance(inputs, (list, tuple)) and inputs
                and all(isinstance(t, torch.Tensor) and t.shape == inputs[0].shape
                        for t in inputs)):
            # one batch, moved and normalised at once, in place of MMEngine's image-by-image
            # loop (the same values: channel flip, float, normalise, stack)
            data = dict(data, inputs=torch.stack(inputs))
        data = super().forward(data, training)
        if self.channels_last and data['inputs'].dim() == 4:
            data['inputs'] = data['inputs'].contiguous(memory_format=torch.channels_last)
        samples = data.get('data_samples')
        if not samples or not self.to_onehot:
            return data
        if 'gt_score' in samples[0]:
            scores = torch.stack([sample.gt_score for sample in samples]).to(self.device)
        elif 'gt_label' in samples[0]:
            num_classes = self.num_classes or samples[0].get('num_classes')
            if num_classes is None:
                raise ValueError('ClsDataPreprocessor: to_onehot (or batch_augments) needs '
                                 'num_classes, the length of the one-hot scores')
            scores = torch.stack([self.onehot(s.gt_label, num_classes) for s in samples])
        else:
            return data
        inputs = data['inputs']
        if training and self.batch_augments is not None:
            inputs, scores = self.batch_augments(inputs, scores)
        for sample, score in zip(samples, scores):
            sample.set_field(score, 'gt_score')
        return dict(inputs=inputs, data_samples=samples)

    def onehot(self, label: torch.Tensor, num_classes: int) -> torch.Tensor:
        """The ``(num_classes, )`` score of one sample's label(s): 1 at each of them."""
        label = label.to(self.device)
        if label.numel() and (label.min() < 0 or label.max() >= num_classes):
            raise ValueError(f'ClsDataPreprocessor: label {label.tolist()} is outside '
                             f'0..{num_classes - 1} (num_classes={num_classes})')
        return F.one_hot(label, num_classes).sum(0).clamp(max=1)


def _data_samples(data) -> bool:
    """Whether ``data`` is a data sample or a non-empty list of them."""
    if isinstance(data, list):
        return bool(data) and all(isinstance(sample, BaseDataElement) for sample in data)
    return isinstance(data, BaseDataElement)
