"""A speed ratio measured in alternating rounds, with the spread of its per-round ratios and a
warning when that spread is wider than the effect claimed: the one way every benchmark tool
reports a ratio on a noisy machine.

Example:
    >>> spread = ratio_spread([100., 90., 110.], [100., 100., 100.])
    >>> spread.ratio, spread.low, spread.high
    (1.0, 0.9, 1.1)
    >>> spread.warning('zoo / torchvision')[:28]
    'WARNING: zoo / torchvision: '
"""
import statistics
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class RatioSpread:
    """``ratio``: of the median rounds; ``low``, ``high``: the min and max per-round ratio."""
    ratio: float
    low: float
    high: float
    rounds: int

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def resolved(self) -> bool:
        """Whether the rounds agree better than the effect claimed, ``|ratio - 1|``."""
        return self.width <= abs(self.ratio - 1)

    def range_text(self) -> str:
        """``low-high``, as printed beside the ratio."""
        return f'{self.low:.3f}-{self.high:.3f}'

    def summary(self) -> str:
        return f'{self.range_text()} (spread {self.width:.3f}, {self.rounds} rounds)'

    def warning(self, label: str) -> Optional[str]:
        """The warning line for an unresolved ratio, else None."""
        if self.resolved:
            return None
        return (f'WARNING: {label}: the spread of the rounds ({self.width:.3f}) is wider than '
                f'the effect |R-1| = {abs(self.ratio - 1):.3f}: the ratio is not resolved')


def ratio_spread(numerator: Sequence[float], denominator: Sequence[float]) -> RatioSpread:
    """The ratio of two per-round rates (e.g. images/s), round by round.

    Args:
        numerator: The rate of each round of the first thing timed.
        denominator: The rate of the same rounds of the second (its round runs beside the
            first's, so that a change in machine load hits both).
    """
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError(f'ratio_spread needs the same number (>= 1) of rounds on both sides, '
                         f'got {len(numerator)} and {len(denominator)}')
    ratios = [n / d for n, d in zip(numerator, denominator)]
    return RatioSpread(
        statistics.median(numerator) / statistics.median(denominator), min(ratios), max(ratios),
        len(ratios))
