from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import ImgDataPreprocessor
from mmengine.model.utils import stack_batch
from mmengine.structures import BaseDataElement

from zoo.models.utils.batch_augments import RandomBatchAugment
from zoo.registry import MODELS


@MODELS.register_module()
class ClsDataPreprocessor(ImgDataPreprocessor):
    """Moves a batch to the model's device, then converts, normalises and stacks it there.

    Normalising after the transfer keeps the data loader's tensors ``uint8`` (4x less to copy
    than float) and runs the arithmetic on the accelerator. The values are MMEngine's
    ``ImgDataPreprocessor``'s and mmpretrain's ``ClsDataPreprocessor``'s, under mmpretrain's
    argument names, so mmpretrain configs carry over. As mmpretrain's, it moves the labels in
    one transfer and only they follow the batch (MMEngine moves every data sample on its own);
    it also normalises in one new tensor and does not copy a batch that needs no padding.

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

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if (isinstance(inputs, (list, tuple)) and inputs
                and all(isinstance(t, torch.Tensor) and t.shape == inputs[0].shape
                        for t in inputs)):
            inputs = torch.stack(inputs)  # one batch, moved and normalised at once
        inputs = self.cast_data(inputs)
        if isinstance(inputs, torch.Tensor):
            inputs = self.pad(self.normalise(inputs, channel_dim=1))
        else:  # images of different sizes, as MMEngine's: normalised one by one, then padded
            inputs = stack_batch([self.normalise(t, channel_dim=0) for t in inputs],
                                 self.pad_size_divisor, self.pad_value)
        samples = data.get('data_samples')
        self.labels_to_device(samples)
        if self.channels_last and inputs.dim() == 4:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        data = dict(data, inputs=inputs, data_samples=samples)
        if not samples or not self.to_onehot:
            return data
        if 'gt_score' in samples[0]:
            scores = torch.stack([sample.gt_score for sample in samples])
        elif 'gt_label' in samples[0]:
            num_classes = self.num_classes or samples[0].get('num_classes')
            if num_classes is None:
                raise ValueError('ClsDataPreprocessor: to_onehot (or batch_augments) needs '
                                 'num_classes, the length of the one-hot scores')
            scores = self.onehot([sample.gt_label for sample in samples], num_classes)
        else:
            return data
        if training and self.batch_augments is not None:
            inputs, scores = self.batch_augments(inputs, scores)
        for sample, score in zip(samples, scores):
            sample.set_field(score, 'gt_score')
        return dict(inputs=inputs, data_samples=samples)

    def normalise(self, inputs: torch.Tensor, channel_dim: int) -> torch.Tensor:
        """Channel flip (of 3-channel images only, as mmpretrain's), float and normalisation,
        in one new tensor (the in-place arithmetic gives MMEngine's values)."""
        if self._channel_conversion and inputs.shape[channel_dim] == 3:
            inputs = inputs.flip(channel_dim)
        inputs = inputs.to(torch.float32, copy=True)
        if self._enable_normalize:
            channels = inputs.shape[channel_dim]
            if len(self.mean) != 1 and channels != len(self.mean):
                raise ValueError(f'ClsDataPreprocessor: mean and std have {len(self.mean)} '
                                 f'values, but the images have {channels} channels (shape '
                                 f'{tuple(inputs.shape)})')
            inputs.sub_(self.mean).div_(self.std)
        return inputs

    def pad(self, inputs: torch.Tensor) -> torch.Tensor:
        """Bottom and right padding to multiples of ``pad_size_divisor``; no copy without."""
        height, width = inputs.shape[-2:]
        pad_h, pad_w = -height % self.pad_size_divisor, -width % self.pad_size_divisor
        if not (pad_h or pad_w):
            return inputs
        return F.pad(inputs, (0, pad_w, 0, pad_h), 'constant', self.pad_value)

    def labels_to_device(self, samples: Optional[List[BaseDataElement]]) -> None:
        """Move the samples' ``gt_label`` and ``gt_score`` to the model's device in one
        transfer each (mmpretrain's batching), not sample by sample as MMEngine's ``cast_data``
        (a small copy per image). Where they are there already the samples stay as they are."""
        if not samples or not isinstance(samples[0], BaseDataElement):
            return
        for name in ('gt_label', 'gt_score'):
            if name not in samples[0] or samples[0].get(name).device == self.device:
                continue
            values = [sample.get(name) for sample in samples]
            batch = torch.cat(values) if name == 'gt_label' else torch.stack(values)
            batch = batch.to(self.device, non_blocking=self._non_blocking)
            parts = batch.split([len(v) for v in values]) if name == 'gt_label' else batch
            for sample, value in zip(samples, parts):
                sample.set_field(value, name)

    def onehot(self, labels: List[torch.Tensor], num_classes: int) -> torch.Tensor:
        """The ``(N, num_classes)`` scores of the samples' labels: 1 at each of a sample's
        labels. One batch, as mmpretrain's: a range check a sample would sync a GPU each."""
        batch = torch.cat(labels).to(self.device)
        if batch.numel() and (batch.min() < 0 or batch.max() >= num_classes):
            label = next(x for x in labels if x.numel() and (x.min() < 0 or x.max() >= num_classes))
            raise ValueError(f'ClsDataPreprocessor: label {label.tolist()} is outside '
                             f'0..{num_classes - 1} (num_classes={num_classes})')
        onehot = F.one_hot(batch, num_classes)
        lengths = [len(label) for label in labels]
        if all(length == 1 for length in lengths):  # single-label: one row a sample already
            return onehot
        return torch.stack([part.sum(0) for part in onehot.split(lengths)]).clamp(max=1)
