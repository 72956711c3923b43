from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from zoo.registry import TRANSFORMS


def _three(name: str, value: Union[Number, Sequence[Number]]) -> list:
    if isinstance(value, Number):
        value = [value] * 3
    if not (isinstance(value, Sequence) and len(value) == 3
            and all(isinstance(v, Number) for v in value)):
        raise ValueError(f'RandomErasing: {name} must be a number or three of them, '
                         f'got {value!r}')
    return list(value)


@TRANSFORMS.register_module()
class RandomErasing(BaseTransform):
    """Erase a random rectangle of a uint8 image (Zhong et al. 2020), as mmpretrain's.

    With probability ``erase_prob`` a rectangle covering a share of the image drawn uniformly
    from ``[min_area_ratio, max_area_ratio]``, with an aspect ratio drawn log-uniformly from
    ``aspect_range``, is filled with ``fill_color`` (``mode='const'``), or with noise
    (``mode='rand'``): uniform over 0..255, or normal around ``fill_color`` with ``fill_std``
    when that is given. Colours are in the image's channel order (BGR after
    ``LoadImageFromFile``). The draws use numpy's global generator in mmpretrain's order.

    Required keys: ``img`` (``(H, W, 3)`` uint8). Modified keys: ``img``.

    Args:
        erase_prob: The probability of erasing.
        min_area_ratio: The smallest share of the image erased.
        max_area_ratio: The largest share of the image erased.
        aspect_range: ``(min, max)`` of the rectangle's aspect ratio, or one number ``r``
            meaning ``(min(r, 1/r), max(r, 1/r))``.
        mode: ``'const'`` or ``'rand'``.
        fill_color: The fill colour (``'const'``) or the noise's mean (``'rand'`` with
            ``fill_std``).
        fill_std: The noise's std per channel, or ``None`` for uniform noise.
    """

    MODES = ('const', 'rand')

    def __init__(self,
                 erase_prob: float = 0.5,
                 min_area_ratio: float = 0.02,
                 max_area_ratio: float = 0.4,
                 aspect_range: Union[float, Tuple[float, float]] = (3 / 10, 10 / 3),
                 mode: str = 'const',
                 fill_color: Union[Number, Sequence[Number]] = (128, 128, 128),
                 fill_std: Optional[Union[Number, Sequence[Number]]] = None):
        for name, value in (('erase_prob', erase_prob), ('min_area_ratio', min_area_ratio),
                            ('max_area_ratio', max_area_ratio)):
            if isinstance(value, bool) or not isinstance(value, Number) or not 0 <= value <= 1:
                raise ValueError(f'RandomErasing: {name} must be in [0, 1], got {value!r}')
        if min_area_ratio > max_area_ratio:
            raise ValueError(f'RandomErasing: min_area_ratio ({min_area_ratio}) exceeds '
                             f'max_area_ratio ({max_area_ratio})')
        if isinstance(aspect_range, Number):
            low = min(aspect_range, 1 / aspect_range)
            aspect_range = (low, 1 / low)
        if not (isinstance(aspect_range, Sequence) and len(aspect_range) == 2
                and 0 < aspect_range[0] <= aspect_range[1]):
            raise ValueError(f'RandomErasing: aspect_range must be a positive number or '
                             f'(min, max) with 0 < min <= max, got {aspect_range!r}')
        if mode not in self.MODES:
            raise ValueError(f'RandomErasing: mode must be one of {self.MODES}, got {mode!r}')
        self.erase_prob = erase_prob
        self.min_area_ratio = min_area_ratio
        self.max_area_ratio = max_area_ratio
        self.aspect_range = tuple(aspect_range)
        self.mode = mode
        self.fill_color = _three('fill_color', fill_color)
        self.fill_std = None if fill_std is None else _three('fill_std', fill_std)

    @cache_randomness
    def random_disable(self) -> bool:
        return np.random.rand() > self.erase_prob

    @cache_randomness
    def random_patch(self, img_h: int, img_w: int) -> Tuple[int, int, int, int]:
        """Draw the rectangle: ``(top, left, height, width)``."""
        log_aspect_range = np.log(np.array(self.aspect_range, dtype=np.float32))
        aspect_ratio = np.exp(np.random.uniform(*log_aspect_range))
        area = img_h * img_w * np.random.uniform(self.min_area_ratio, self.max_area_ratio)
        h = min(int(round(np.sqrt(area * aspect_ratio))), img_h)
        w = min(int(round(np.sqrt(area / aspect_ratio))), img_w)
        top = np.random.randint(0, img_h - h) if img_h > h else 0
        left = np.random.randint(0, img_w - w) if img_w > w else 0
        return top, left, h, w

    def fill(self, h: int, w: int) -> np.ndarray:
        """The ``(h, w, 3)`` uint8 patch."""
        if self.mode == 'const':
            return np.broadcast_to(np.array(self.fill_color, dtype=np.uint8), (h, w, 3))
        if self.fill_std is None:
            return np.random.uniform(0, 256, (h, w, 3)).astype(np.uint8)
        patch = np.random.normal(self.fill_color, self.fill_std, (h, w, 3))
        return np.clip(patch.astype(np.int32), 0, 255).astype(np.uint8)

    def transform(self, results: dict) -> dict:
        if self.random_disable():
            return results
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'RandomErasing needs a 3-channel image (H, W, 3), got shape '
                             f'{img.shape}')
        top, left, h, w = self.random_patch(*img.shape[:2])
        img[top:top + h, left:left + w] = self.fill(h, w)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(erase_prob={self.erase_prob}, '
                f'min_area_ratio={self.min_area_ratio}, max_area_ratio={self.max_area_ratio}, '
                f'aspect_range={self.aspect_range}, mode={self.mode!r}, '
                f'fill_color={self.fill_color}, fill_std={self.fill_std})')
