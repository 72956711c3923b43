import bisect
import itertools
import math
from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import RandomFlip as MMCVRandomFlip
from mmcv.transforms.utils import cache_randomness

from zoo.registry import TRANSFORMS

INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')
BACKENDS = ('cv2', 'pillow')


def _check_resize_options(interpolation: str, backend: str) -> None:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f'interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}')
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')


def _check_range(name: str, value: Sequence[float], low: float, high: float) -> Tuple[float, float]:
    """``value`` as a ``(min, max)`` pair with ``low < min <= max <= high``."""
    if not (isinstance(value, Sequence) and len(value) == 2
            and all(isinstance(v, Number) for v in value)):
        raise TypeError(f'{name} must be a pair (min, max), got {value!r}')
    if not low < value[0] <= value[1] <= high:
        raise ValueError(f'{name} must satisfy {low} < min <= max <= {high}, got {value!r}')
    return float(value[0]), float(value[1])


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area and aspect ratio of the image, then resize it to ``scale``.

    The Inception crop, as torchvision's ``RandomResizedCrop``: the crop covers a share of the
    image area drawn from ``crop_ratio_range`` (torchvision's ``scale``) with an aspect ratio
    (width / height) drawn log-uniformly from ``aspect_ratio_range`` (torchvision's ``ratio``);
    after ``max_attempts`` draws that do not fit, it falls back to a central crop with the
    aspect ratio clipped to the range. The draws use numpy's global generator, so
    ``np.random.seed`` makes them reproducible, as with mmcv's random transforms.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        scale: The output size: ``int`` for a square, or ``(height, width)`` as mmpretrain's
            and torchvision's ``size`` (note: mmcv's ``Resize`` takes ``(width, height)``).
        crop_ratio_range: The range of the crop's share of the image area.
        aspect_ratio_range: The range of the crop's width / height.
        max_attempts: Random draws before falling back to the central crop.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'``, ``'area'`` or
            ``'lanczos'`` (see :func:`mmcv.imresize`).
        backend: ``'cv2'`` or ``'pillow'``, the library that resizes.
    """

    def __init__(self,
                 scale: Union[int, Sequence[int]],
                 crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        if isinstance(scale, int):
            scale = (scale, scale)
        if not (isinstance(scale, Sequence) and len(scale) == 2
                and all(isinstance(s, int) and s > 0 for s in scale)):
            raise ValueError(f'scale must be a positive int or (height, width), got {scale!r}')
        self.scale = tuple(scale)
        self.crop_ratio_range = _check_range('crop_ratio_range', crop_ratio_range, 0., 1.)
        self.aspect_ratio_range = _check_range('aspect_ratio_range', aspect_ratio_range, 0.,
                                               math.inf)
        if not isinstance(max_attempts, int) or max_attempts < 0:
            raise ValueError(f'max_attempts must be an int >= 0, got {max_attempts!r}')
        self.max_attempts = max_attempts
        _check_resize_options(interpolation, backend)
        self.interpolation = interpolation
        self.backend = backend

    @cache_randomness
    def rand_crop_params(self, img: np.ndarray) -> Tuple[int, int, int, int]:
        """Draw the crop: ``(top, left, height, width)`` in pixels."""
        return self.crop_params_for_size(*img.shape[:2])

    def crop_params_for_size(self, h: int, w: int) -> Tuple[int, int, int, int]:
        """Draw the crop of an ``h x w`` image (no pixels needed: see
        :class:`DecodeRandomResizedCrop`, which draws it before decoding)."""
        area = h * w
        log_ratio = (math.log(self.aspect_ratio_range[0]), math.log(self.aspect_ratio_range[1]))
        for _ in range(self.max_attempts):
            target_area = np.random.uniform(*self.crop_ratio_range) * area
            aspect_ratio = math.exp(np.random.uniform(*log_ratio))
            target_w = int(round(math.sqrt(target_area * aspect_ratio)))
            target_h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < target_w <= w and 0 < target_h <= h:
                top = np.random.randint(0, h - target_h + 1)
                left = np.random.randint(0, w - target_w + 1)
                return top, left, target_h, target_w

        # Fallback: the largest central crop whose aspect ratio lies in the range.
        in_ratio = w / h
        if in_ratio < self.aspect_ratio_range[0]:
            target_w, target_h = w, int(round(w / self.aspect_ratio_range[0]))
        elif in_ratio > self.aspect_ratio_range[1]:
            target_w, target_h = int(round(h * self.aspect_ratio_range[1])), h
        else:
            target_w, target_h = w, h
        return (h - target_h) // 2, (w - target_w) // 2, target_h, target_w

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, height, width = self.rand_crop_params(img)
        # the box lies inside the image: a slice (mmcv.imcrop's result, at a 50th of its cost)
        img = img[top:top + height, left:left + width]
        img = mmcv.imresize(
            img, self.scale[::-1], interpolation=self.interpolation, backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'crop_ratio_range={self.crop_ratio_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range}, '
                f'max_attempts={self.max_attempts}, interpolation={self.interpolation!r}, '
                f'backend={self.backend!r})')


@TRANSFORMS.register_module()
class ResizeEdge(BaseTransform):
    """Resize the image, keeping its aspect ratio, so that one edge equals ``scale``.

    ``ResizeEdge(scale=256)`` before ``CenterCrop(crop_size=224)`` is the usual ImageNet test
    transform. The other edge is ``int(scale * other / edge)``, as mmpretrain's.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``. Added keys: ``scale``
    (``(width, height)``), ``scale_factor`` (``(w_scale, h_scale)``).

    Args:
        scale: The length of the chosen edge after resizing.
        edge: ``'short'``, ``'long'``, ``'width'`` or ``'height'``: the edge set to ``scale``.
        backend: ``'cv2'`` or ``'pillow'``.
        interpolation: As in :class:`RandomResizedCrop`.
    """

    EDGES = ('short', 'long', 'width', 'height')

    def __init__(self,
                 scale: int,
                 edge: str = 'short',
                 backend: str = 'cv2',
                 interpolation: str = 'bilinear') -> None:
        if not isinstance(scale, int) or scale <= 0:
            raise ValueError(f'scale must be a positive int, got {scale!r}')
        if edge not in self.EDGES:
            raise ValueError(f'edge must be one of {self.EDGES}, got {edge!r}')
        _check_resize_options(interpolation, backend)
        self.scale = scale
        self.edge = edge
        self.backend = backend
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        resize_width = (
            self.edge == 'width' or (self.edge == 'short' and w < h)
            or (self.edge == 'long' and w > h))
        if resize_width:
            width, height = self.scale, max(1, int(self.scale * h / w))
        else:
            width, height = max(1, int(self.scale * w / h)), self.scale
        img, w_scale, h_scale = mmcv.imresize(
            results['img'], (width, height),
            interpolation=self.interpolation,
            return_scale=True,
            backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['scale'] = (width, height)
        results['scale_factor'] = (w_scale, h_scale)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, edge={self.edge!r}, '
                f'backend={self.backend!r}, interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Crop a random ``crop_size`` window, after optional padding (the CIFAR recipe).

    As torchvision's and mmpretrain's ``RandomCrop``: ``RandomCrop(crop_size=32, padding=4)``
    pads a 32 x 32 image to 40 x 40 and takes a random 32 x 32 window of it. mmcv has no
    random crop transform. The offset uses numpy's global generator.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        crop_size: ``int`` for a square, or ``(height, width)``.
        padding: Border added first: ``int`` (every side), ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``; ``None`` for none.
        pad_if_needed: Pad an image smaller than the crop (by the missing size on both sides,
            as torchvision) instead of raising.
        pad_val: The value of constant padding.
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.
    """

    PADDING_MODES = ('constant', 'edge', 'reflect', 'symmetric')

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 padding: Union[int, Sequence[int], None] = None,
                 pad_if_needed: bool = False,
                 pad_val: Union[Number, Sequence[Number]] = 0,
                 padding_mode: str = 'constant') -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if not (isinstance(crop_size, Sequence) and len(crop_size) == 2
                and all(isinstance(s, int) and s > 0 for s in crop_size)):
            raise ValueError(f'crop_size must be a positive int or (height, width), '
                             f'got {crop_size!r}')
        if padding is not None and not ((isinstance(padding, int) and padding >= 0) or
                                        (isinstance(padding, Sequence) and len(padding) in (2, 4)
                                         and all(isinstance(p, int) and p >= 0 for p in padding))):
            raise ValueError(f'padding must be an int >= 0 or 2 or 4 of them, got {padding!r}')
        if padding_mode not in self.PADDING_MODES:
            raise ValueError(f'padding_mode must be one of {self.PADDING_MODES}, '
                             f'got {padding_mode!r}')
        self.crop_size = tuple(crop_size)
        self.padding = tuple(padding) if isinstance(padding, Sequence) else padding
        self.pad_if_needed = pad_if_needed
        self.pad_val = pad_val
        self.padding_mode = padding_mode

    @cache_randomness
    def rand_crop_params(self, img: np.ndarray) -> Tuple[int, int]:
        """Draw the window's ``(top, left)``."""
        h, w = img.shape[:2]
        crop_h, crop_w = self.crop_size
        return np.random.randint(0, h - crop_h + 1), np.random.randint(0, w - crop_w + 1)

    def _pad(self, img: np.ndarray, padding) -> np.ndarray:
        return mmcv.impad(
            img, padding=padding, pad_val=self.pad_val, padding_mode=self.padding_mode)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if self.padding is not None:
            img = self._pad(img, self.padding)
        crop_h, crop_w = self.crop_size
        if self.pad_if_needed:
            missing_h = max(crop_h - img.shape[0], 0)
            missing_w = max(crop_w - img.shape[1], 0)
            if missing_h or missing_w:
                img = self._pad(img, (missing_w, missing_h))
        if img.shape[0] < crop_h or img.shape[1] < crop_w:
            raise ValueError(f'RandomCrop: the image ({img.shape[0]} x {img.shape[1]} after '
                             f'padding) is smaller than crop_size {self.crop_size}; set '
                             f'pad_if_needed=True or resize first')
        top, left = self.rand_crop_params(img)
        results['img'] = np.ascontiguousarray(img[top:top + crop_h, left:left + crop_w])
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'padding={self.padding}, pad_if_needed={self.pad_if_needed}, '
                f'pad_val={self.pad_val}, padding_mode={self.padding_mode!r})')


@TRANSFORMS.register_module()
class RandomFlip(MMCVRandomFlip):
    """mmcv's ``RandomFlip``, its direction drawn without ``np.random.choice``.

    The same draw from the same numbers: ``np.random.choice(directions, p=probs)`` takes one
    ``np.random.random_sample()`` and finds it among the normalised cumulative probabilities
    (``searchsorted(side='right')``); ``bisect`` on a list does that in 2 us where
    ``np.random.choice`` costs 18 us an image. Arguments, keys and outputs are mmcv's.
    """

    @cache_randomness
    def _choose_direction(self) -> Optional[str]:
        # mmcv's lists: the directions and None (no flip), with their probabilities
        if isinstance(self.direction, Sequence) and not isinstance(self.direction, str):
            directions: list = list(self.direction) + [None]
        else:
            directions = [self.direction, None]
        if isinstance(self.prob, list):
            probs = self.prob + [1 - sum(self.prob)]
        else:
            probs = [self.prob / (len(directions) - 1)] * (len(directions) - 1) + [1. - self.prob]
        cdf = list(itertools.accumulate(probs))  # in order, in float64: numpy's cumsum
        if len(probs) != len(directions) or cdf[-1] <= 0 or min(probs) < 0:
            return np.random.choice(directions, p=probs)  # numpy's own error
        cdf = [c / cdf[-1] for c in cdf]
        return directions[bisect.bisect_right(cdf, np.random.random_sample())]
