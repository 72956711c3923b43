from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from zoo.registry import TRANSFORMS

FactorType = Union[float, Sequence[float]]


def _factor_range(name: str,
                  value: FactorType,
                  center: float,
                  bound: Tuple[float, float],
                  clip_low: bool = True) -> Optional[Tuple[float, float]]:
    """torchvision's reading of a jitter strength: ``x`` means ``[center - x, center + x]``.

    A pair is taken as the range itself. Returns ``None`` when the jitter does nothing.
    """
    if isinstance(value, Number) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f'{name} must be >= 0, got {value!r}')
        low, high = center - value, center + value
        if clip_low:
            low = max(low, bound[0])
    elif isinstance(value, Sequence) and len(value) == 2 \
            and all(isinstance(v, Number) for v in value):
        low, high = float(value[0]), float(value[1])
    else:
        raise TypeError(f'{name} must be a number or a pair (min, max), got {value!r}')
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(f'{name} must give a range within [{bound[0]}, {bound[1]}], '
                         f'got {value!r}')
    return None if low == high == center else (low, high)


def adjust_hue_bgr(img: np.ndarray, shift: float) -> np.ndarray:
    """Rotate the hue of a uint8 BGR image by ``shift`` turns of the colour circle.

    ``mmcv.adjust_hue`` is not used: it expects RGB and, under numpy 2, fails on negative
    shifts (``np.uint8`` of a negative number raises ``OverflowError``).
    """
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)  # hue in 0..255 for the full circle
    hsv[..., 0] += np.uint8(int(round(shift * 256)) % 256)  # uint8 addition wraps around
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Randomly change the brightness, contrast, saturation and hue of a uint8 BGR image.

    As torchvision's ``ColorJitter``: each strength ``x`` draws a factor uniformly from
    ``[max(0, 1 - x), 1 + x]`` (hue: a shift in ``[-x, x]`` of the colour circle, ``x <= 0.5``),
    or from a given ``(min, max)`` pair, and the four adjustments run in a random order. The
    adjustments are mmcv's (:func:`mmcv.adjust_brightness`, :func:`mmcv.adjust_contrast`,
    :func:`mmcv.adjust_color` for saturation; hue: :func:`adjust_hue_bgr`); the draws use numpy's
    global generator, so ``np.random.seed`` makes them reproducible.

    A grayscale image, ``(H, W)`` or ``(H, W, 1)``, gets brightness and contrast only (it has no
    colour to saturate or rotate) and keeps its shape.

    Required keys: ``img`` (``uint8``). Modified keys: ``img``.

    Args:
        brightness: Brightness strength, >= 0, or a factor range.
        contrast: Contrast strength, >= 0, or a factor range.
        saturation: Saturation strength, >= 0, or a factor range.
        hue: Hue strength in [0, 0.5], or a shift range within [-0.5, 0.5].
    """

    def __init__(self,
                 brightness: FactorType = 0.,
                 contrast: FactorType = 0.,
                 saturation: FactorType = 0.,
                 hue: FactorType = 0.) -> None:
        self.brightness = _factor_range('brightness', brightness, 1., (0., float('inf')))
        self.contrast = _factor_range('contrast', contrast, 1., (0., float('inf')))
        self.saturation = _factor_range('saturation', saturation, 1., (0., float('inf')))
        self.hue = _factor_range('hue', hue, 0., (-0.5, 0.5), clip_low=False)

    @cache_randomness
    def _rand_params(
        self
    ) -> Tuple[np.ndarray, Optional[float], Optional[float], Optional[float], Optional[float]]:
        """Draw the order of the four adjustments and their factors (``None``: skipped)."""
        order = np.random.permutation(4)
        factors = [
            None if r is None else float(np.random.uniform(*r))
            for r in (self.brightness, self.contrast, self.saturation, self.hue)
        ]
        return (order, *factors)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'ColorJitter needs a uint8 image, got {img.dtype}; put it before '
                            f'any transform that converts to float')
        gray_shape = img.shape if img.ndim == 2 or img.shape[2] == 1 else None
        if gray_shape is not None:
            # mmcv's contrast expects 3 channels; a gray image in 3 equal channels is the same
            # image, and its mean gray level is its own mean.
            img = mmcv.gray2bgr(img.reshape(img.shape[:2]))
        order, brightness, contrast, saturation, hue = self._rand_params()
        for index in order:
            if index == 0 and brightness is not None:
                img = mmcv.adjust_brightness(img, brightness)
            elif index == 1 and contrast is not None:
                img = mmcv.adjust_contrast(img, contrast)
            elif index == 2 and saturation is not None and gray_shape is None:
                img = mmcv.adjust_color(img, saturation)
            elif index == 3 and hue is not None and gray_shape is None:
                img = adjust_hue_bgr(img, hue)
        if gray_shape is not None:
            img = np.ascontiguousarray(img[..., 0]).reshape(gray_shape)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, hue={self.hue})')
