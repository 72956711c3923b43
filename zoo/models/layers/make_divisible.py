from typing import Optional


def make_divisible(value: float,
                   divisor: int = 8,
                   min_value: Optional[int] = None,
                   min_ratio: float = 0.9) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, never below ``min_ratio``
    of it: the rule of TensorFlow's MobileNets, torchvision's ``_make_divisible`` and mmcv's
    ``make_divisible``, so that widened or narrowed networks get the published widths.

    Args:
        value: The channel count before rounding (for example ``32 * widen_factor``).
        divisor: The result is a multiple of it.
        min_value: The smallest result; defaults to ``divisor``.
        min_ratio: Rounding down may not lose more than ``1 - min_ratio`` of ``value``; when it
            would, the result goes up by one ``divisor``.

    Returns:
        The rounded channel count.

    Example:
        >>> make_divisible(32 * 0.75), make_divisible(1280 * 1.4), make_divisible(19, 8)
        (24, 1792, 24)
    """
    if divisor <= 0:
        raise ValueError(f'make_divisible: divisor must be positive, got {divisor}')
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < min_ratio * value:
        new_value += divisor
    return new_value


__all__ = ['make_divisible']
