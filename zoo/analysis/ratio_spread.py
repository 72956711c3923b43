"""A speed ratio measured in alternating rounds, with the spread of its per-round ratios, a
bootstrap interval, and a warning when that interval is wider than the effect claimed: the one
way every benchmark tool reports a ratio on a noisy machine.

The min-max of the per-round ratios only widens as rounds are added, so on a shared machine it
never resolves a small effect however long one measures. The 95% bootstrap interval of the
ratio (the rounds resampled in their pairs) narrows with more rounds: from five rounds on, a
ratio is resolved when that interval leaves out 1. Below five rounds there are too few
resamples for an interval, and the stricter test stands: the min-max of the per-round ratios
must be narrower than the effect ``|R-1|``.

Example:
    >>> spread = ratio_spread([100., 90., 110.], [100., 100., 100.])
    >>> spread.ratio, spread.low, spread.high
    (1.0, 0.9, 1.1)
    >>> spread.warning('zoo / torchvision')[:28]
    'WARNING: zoo / torchvision: '
"""
import random
import statistics
from dataclasses import dataclass
from typing import Optional, Sequence

# fewer rounds than this make too few distinct resamples: the min-max stands in for the interval
MIN_BOOTSTRAP_ROUNDS = 5
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class RatioSpread:
    """``ratio``: of the median rounds; ``low``, ``high``: the min and max per-round ratio;
    ``interval_low``, ``interval_high``: the 95% bootstrap interval of ``ratio`` (the min-max
    below ``MIN_BOOTSTRAP_ROUNDS`` rounds)."""
    ratio: float
    low: float
    high: float
    rounds: int
    interval_low: float
    interval_high: float

    @property
    def width(self) -> float:
        """Of the per-round ratios, min to max."""
        return self.high - self.low

    @property
    def interval_width(self) -> float:
        return self.interval_high - self.interval_low

    @property
    def bootstrapped(self) -> bool:
        return self.rounds >= MIN_BOOTSTRAP_ROUNDS

    @property
    def resolved(self) -> bool:
        """Whether the bootstrap interval leaves out 1 (below ``MIN_BOOTSTRAP_ROUNDS`` rounds:
        whether the min-max is narrower than the effect claimed, ``|ratio - 1|``)."""
        if self.bootstrapped:
            return not self.interval_low <= 1 <= self.interval_high
        return self.width <= abs(self.ratio - 1)

    def range_text(self) -> str:
        """``low-high`` of the per-round ratios, as printed beside the ratio."""
        return f'{self.low:.3f}-{self.high:.3f}'

    def cell_text(self) -> str:
        """``low-high``, and ``; 95% a-b`` where there is a bootstrap interval: the table cell
        beside a ratio."""
        if not self.bootstrapped:
            return self.range_text()
        return f'{self.range_text()}; 95% {self.interval_low:.3f}-{self.interval_high:.3f}'

    def summary(self) -> str:
        text = f'{self.range_text()} (spread {self.width:.3f}, {self.rounds} rounds)'
        if self.bootstrapped:
            text += (f'; 95% bootstrap interval of the ratio {self.interval_low:.3f}-'
                     f'{self.interval_high:.3f}')
        return text

    def warning(self, label: str) -> Optional[str]:
        """The warning line for an unresolved ratio, else None."""
        if self.resolved:
            return None
        if self.bootstrapped:
            return (f'WARNING: {label}: the 95% bootstrap interval of the ratio '
                    f'({self.interval_low:.3f}-{self.interval_high:.3f}, {self.rounds} rounds) '
                    f'holds 1: the ratio is not resolved')
        return (f'WARNING: {label}: the spread of the rounds ({self.width:.3f}) is wider than '
                f'the effect |R-1| = {abs(self.ratio - 1):.3f}: the ratio is not resolved')


def ratio_of_medians(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    return statistics.median(numerator) / statistics.median(denominator)


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
    low, high = min(ratios), max(ratios)
    interval = (low, high)
    rounds = len(ratios)
    if rounds >= MIN_BOOTSTRAP_ROUNDS:
        generator = random.Random(0)  # the same figures for the same rounds
        resampled = []
        for _ in range(BOOTSTRAP_RESAMPLES):
            pairs = [generator.randrange(rounds) for _ in range(rounds)]
            resampled.append(
                ratio_of_medians([numerator[i] for i in pairs], [denominator[i] for i in pairs]))
        resampled.sort()
        interval = (resampled[int(0.025 * BOOTSTRAP_RESAMPLES)],
                    resampled[int(0.975 * BOOTSTRAP_RESAMPLES) - 1])
    return RatioSpread(ratio_of_medians(numerator, denominator), low, high, rounds, *interval)
