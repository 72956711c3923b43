import math
from numbers import Number
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
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
        h, w = img.shape[:2]
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
        img = mmcv.imcrop(img, np.array([left, top, left + width - 1, top + height - 1]))
        img = mmcv.imresize(img, self.scale[::-1], interpolation=self.interpolation,
                            backend=self.backend)
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
        resize_width = (self.edge == 'width' or (self.edge == 'short' and w < h)
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
