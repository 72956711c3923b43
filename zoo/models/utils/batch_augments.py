"""Batch augmentations (mmpretrain's ``Mixup``, ``CutMix``, ``ResizeMix``) and the random choice
among them that ``ImageClassifier(train_cfg=dict(augments=...))`` sets up.

Each takes a batch of images ``(N, C, H, W)`` and of one-hot (or soft) scores
``(N, num_classes)`` and returns both mixed. The draws use numpy's global generator for the
mixing ratio and box and ``torch.randperm`` for the partner of each image, in mmpretrain's order,
so that the same seeds give mmpretrain's output.
"""
from numbers import Number
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.registry import BATCH_AUGMENTS


def _check_scores(name: str, batch_inputs: Tensor, batch_scores: Tensor) -> None:
    if batch_scores.ndim != 2 or batch_scores.shape[0] != batch_inputs.shape[0]:
        raise ValueError(f'{name} needs one-hot scores (N, num_classes) for the '
                         f'{batch_inputs.shape[0]} images, got shape '
                         f'{tuple(batch_scores.shape)}: give the data preprocessor num_classes')


@BATCH_AUGMENTS.register_module()
class Mixup:
    """Blend each image and its scores with another image of the batch (Zhang et al. 2018).

    The ratio ``lam`` is drawn from ``Beta(alpha, alpha)`` once a batch; image ``i`` becomes
    ``lam * x[i] + (1 - lam) * x[perm[i]]``, its scores likewise.

    Args:
        alpha: The parameter of the Beta distribution, > 0.
    """

    def __init__(self, alpha: float):
        if isinstance(alpha, bool) or not isinstance(alpha, Number) or alpha <= 0:
            raise ValueError(f'{type(self).__name__}: alpha must be a positive number, '
                             f'got {alpha!r}')
        self.alpha = float(alpha)

    def mix(self, batch_inputs: Tensor, batch_scores: Tensor) -> Tuple[Tensor, Tensor]:
        lam = np.random.beta(self.alpha, self.alpha)
        index = torch.randperm(batch_inputs.size(0))
        mixed_inputs = lam * batch_inputs + (1 - lam) * batch_inputs[index, :]
        mixed_scores = lam * batch_scores + (1 - lam) * batch_scores[index, :]
        return mixed_inputs, mixed_scores

    def __call__(self, batch_inputs: Tensor, batch_scores: Tensor) -> Tuple[Tensor, Tensor]:
        _check_scores(type(self).__name__, batch_inputs, batch_scores)
        return self.mix(batch_inputs, batch_scores.float())

    def __repr__(self) -> str:
        return f'{type(self).__name__}(alpha={self.alpha})'


@BATCH_AUGMENTS.register_module()
class CutMix(Mixup):
    """Paste a box of another image of the batch into each image (Yun et al. 2019).

    The box covers ``1 - lam`` of the image, ``lam ~ Beta(alpha, alpha)``, centred uniformly at
    random and clipped by the borders; with ``correct_lam`` the scores mix by the area actually
    pasted. With ``cutmix_minmax`` the box's height and width are drawn uniformly within that
    share of the image's instead (``alpha`` then only feeds the unused ratio, as mmpretrain).

    Args:
        alpha: The parameter of the Beta distribution, > 0.
        cutmix_minmax: ``(min, max)`` share of each side of the box, or ``None``.
        correct_lam: Mix the scores by the clipped box's area.
    """

    def __init__(self,
                 alpha: float,
                 cutmix_minmax: Optional[Sequence[float]] = None,
                 correct_lam: bool = True):
        super().__init__(alpha=alpha)
        if cutmix_minmax is not None and not (len(cutmix_minmax) == 2
                                              and 0 <= cutmix_minmax[0] < cutmix_minmax[1] <= 1):
            raise ValueError(f'CutMix: cutmix_minmax must be (min, max) with 0 <= min < max <= '
                             f'1, got {cutmix_minmax!r}')
        self.cutmix_minmax = cutmix_minmax
        self.correct_lam = correct_lam

    def rand_bbox_minmax(self, img_shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """A box of random height and width within ``cutmix_minmax`` of the image's."""
        img_h, img_w = img_shape
        low, high = self.cutmix_minmax
        cut_h = np.random.randint(int(img_h * low), int(img_h * high))
        cut_w = np.random.randint(int(img_w * low), int(img_w * high))
        top = np.random.randint(0, img_h - cut_h)
        left = np.random.randint(0, img_w - cut_w)
        return top, top + cut_h, left, left + cut_w

    def rand_bbox(self, img_shape: Tuple[int, int], lam: float) -> Tuple[int, int, int, int]:
        """A box of ``sqrt(1 - lam)`` of each side, centred at random, clipped to the image."""
        ratio = np.sqrt(1 - lam)
        img_h, img_w = img_shape
        cut_h, cut_w = int(img_h * ratio), int(img_w * ratio)
        cy = np.random.randint(0, img_h)
        cx = np.random.randint(0, img_w)
        return (np.clip(cy - cut_h // 2, 0, img_h), np.clip(cy + cut_h // 2, 0, img_h),
                np.clip(cx - cut_w // 2, 0, img_w), np.clip(cx + cut_w // 2, 0, img_w))

    def cutmix_bbox_and_lam(self, img_shape: Tuple[int, int],
                            lam: float) -> Tuple[Tuple[int, int, int, int], float]:
        """The box ``(y1, y2, x1, x2)`` and the ratio that the scores mix by."""
        if self.cutmix_minmax is not None:
            y1, y2, x1, x2 = self.rand_bbox_minmax(img_shape)
        else:
            y1, y2, x1, x2 = self.rand_bbox(img_shape, lam)
        if self.correct_lam or self.cutmix_minmax is not None:
            lam = 1. - (y2 - y1) * (x2 - x1) / float(img_shape[0] * img_shape[1])
        return (y1, y2, x1, x2), lam

    def mix(self, batch_inputs: Tensor, batch_scores: Tensor) -> Tuple[Tensor, Tensor]:
        lam = np.random.beta(self.alpha, self.alpha)
        index = torch.randperm(batch_inputs.size(0))
        (y1, y2, x1, x2), lam = self.cutmix_bbox_and_lam(batch_inputs.shape[-2:], lam)
        batch_inputs[:, :, y1:y2, x1:x2] = batch_inputs[index, :, y1:y2, x1:x2]
        mixed_scores = lam * batch_scores + (1 - lam) * batch_scores[index, :]
        return batch_inputs, mixed_scores

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha={self.alpha}, '
                f'cutmix_minmax={self.cutmix_minmax}, correct_lam={self.correct_lam})')


@BATCH_AUGMENTS.register_module()
class ResizeMix(CutMix):
    """Paste a resized copy of another whole image into a box of each image (Qin et al. 2020).

    As mmpretrain's: ``Beta(alpha, alpha)`` rescaled to ``[lam_min, lam_max]`` gives the ratio
    from which :class:`CutMix` draws the box; the other image, resized to the box, fills it and
    the scores mix by the area kept.

    Args:
        alpha: The parameter of the Beta distribution, > 0.
        lam_min: The lower end of the rescaled ratio.
        lam_max: The upper end of the rescaled ratio.
        interpolation: How the pasted image is resized (:func:`torch.nn.functional.interpolate`).
        cutmix_minmax: As in :class:`CutMix`.
        correct_lam: As in :class:`CutMix`.
    """

    def __init__(self,
                 alpha: float,
                 lam_min: float = 0.1,
                 lam_max: float = 0.8,
                 interpolation: str = 'bilinear',
                 cutmix_minmax: Optional[Sequence[float]] = None,
                 correct_lam: bool = True):
        super().__init__(alpha=alpha, cutmix_minmax=cutmix_minmax, correct_lam=correct_lam)
        if not 0 <= lam_min <= lam_max <= 1:
            raise ValueError(f'ResizeMix: need 0 <= lam_min <= lam_max <= 1, got {lam_min}, '
                             f'{lam_max}')
        self.lam_min = lam_min
        self.lam_max = lam_max
        self.interpolation = interpolation

    def mix(self, batch_inputs: Tensor, batch_scores: Tensor) -> Tuple[Tensor, Tensor]:
        lam = np.random.beta(self.alpha, self.alpha)
        lam = lam * (self.lam_max - self.lam_min) + self.lam_min
        img_shape = batch_inputs.shape[-2:]
        index = torch.randperm(batch_inputs.size(0))
        (y1, y2, x1, x2), lam = self.cutmix_bbox_and_lam(img_shape, lam)
        # align_corners exists for the interpolating modes only (mmpretrain passes it always,
        # so its 'nearest' raises)
        align_corners = False if self.interpolation in ('bilinear', 'bicubic') else None
        batch_inputs[:, :, y1:y2, x1:x2] = F.interpolate(
            batch_inputs[index],
            size=(int(y2 - y1), int(x2 - x1)),
            mode=self.interpolation,
            align_corners=align_corners)
        mixed_scores = lam * batch_scores + (1 - lam) * batch_scores[index, :]
        return batch_inputs, mixed_scores

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha={self.alpha}, lam_min={self.lam_min}, '
                f'lam_max={self.lam_max}, interpolation={self.interpolation!r})')


class RandomBatchAugment:
    """Apply one of several batch augmentations, chosen at random for each batch.

    Args:
        augments: One augmentation or a list of them, as configs (in ``BATCH_AUGMENTS``) or
            callables.
        probs: The probability of each; their sum may be below 1, the rest being the chance of
            no augmentation. ``None``: each equally likely, always one.
    """

    def __init__(self,
                 augments: Union[Callable, dict, List[Union[Callable, dict]]],
                 probs: Union[float, Sequence[float], None] = None):
        if not isinstance(augments, (tuple, list)):
            augments = [augments]
        self.augments = [BATCH_AUGMENTS.build(a) if isinstance(a, dict) else a for a in augments]
        if isinstance(probs, Number):
            probs = [probs]
        if probs is not None:
            probs = [float(p) for p in probs]
            if len(probs) != len(self.augments):
                raise ValueError(f'RandomBatchAugment: {len(self.augments)} augments but '
                                 f'{len(probs)} probs')
            if sum(probs) > 1 + 1e-9 or min(probs) < 0:
                raise ValueError(f'RandomBatchAugment: probs must be >= 0 and sum to at most 1, '
                                 f'got {probs}')
            self.augments.append(None)
            probs.append(1 - sum(probs))
        self.probs = probs

    def __call__(self, batch_inputs: Tensor, batch_scores: Tensor) -> Tuple[Tensor, Tensor]:
        augment = self.augments[np.random.choice(len(self.augments), p=self.probs)]
        if augment is None:
            return batch_inputs, batch_scores.float()
        return augment(batch_inputs, batch_scores)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(augments={self.augments}, probs={self.probs})'
