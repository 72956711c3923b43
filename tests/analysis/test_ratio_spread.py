"""The one "ratio, per-round spread, warning" of every benchmark tool: ratio_spread itself, and
benchmark.format_table over real benches timed in real rounds (no timing is checked)."""
import random
import re

import pytest
import torch
from mmengine.config import Config

from zoo.analysis.benchmark import BenchSettings, classification_benches, format_table, run_rounds
from zoo.analysis.ratio_spread import ratio_spread


def test_ratio_of_medians_with_min_max_of_round_ratios():
    spread = ratio_spread([100., 90., 130.], [100., 100., 100.])
    assert spread.ratio == pytest.approx(1.0)  # medians 100 / 100
    assert (spread.low, spread.high, spread.rounds) == (0.9, 1.3, 3)
    assert spread.width == pytest.approx(0.4)
    # three rounds are too few to resample: the min-max is the interval
    assert not spread.bootstrapped
    assert (spread.interval_low, spread.interval_high) == (0.9, 1.3)
    assert not spread.resolved
    warning = spread.warning('zoo / torchvision')
    assert warning.startswith('WARNING: zoo / torchvision: the spread of the rounds (0.400)')
    assert '|R-1| = 0.000' in warning
    assert spread.range_text() == '0.900-1.300'


def test_a_clear_effect_is_resolved():
    spread = ratio_spread([150., 160., 155.], [100., 101., 99.])
    assert spread.ratio == pytest.approx(1.55)
    assert spread.resolved and spread.warning('x') is None


def test_the_bootstrap_interval_narrows_with_rounds_where_the_min_max_widens():
    """Rounds 10% noisy around a true ratio of 0.95: the min-max of 60 rounds is wider than the
    5% effect; the bootstrap interval of the ratio narrows, holds the true ratio and leaves out
    1, where that of 5 rounds does not."""
    rng = random.Random(1)
    plain = [100. * rng.uniform(0.9, 1.1) for _ in range(60)]
    runner = [95. * rng.uniform(0.9, 1.1) for _ in range(60)]
    few, many = ratio_spread(runner[:5], plain[:5]), ratio_spread(runner, plain)
    assert few.bootstrapped and many.bootstrapped
    assert many.width > few.width and many.width > 0.05
    assert many.interval_width < few.interval_width
    assert many.interval_low <= 0.95 <= many.interval_high
    assert many.resolved and many.warning('runner / plain') is None
    assert not few.resolved
    assert 'bootstrap interval of the ratio' in few.warning('runner / plain')
    assert '95% bootstrap interval' in many.summary()
    assert ratio_spread(runner, plain) == many  # a fixed seed: the same figures every time


def test_rounds_must_pair_up():
    with pytest.raises(ValueError, match='same number'):
        ratio_spread([1., 2.], [1.])
    with pytest.raises(ValueError, match='same number'):
        ratio_spread([], [])


def test_format_table_prints_each_ratio_with_its_rounds_and_warns_when_unresolved():
    torch.manual_seed(0)
    settings = BenchSettings(batch_size=2, shape=32, iters=1, rounds=3, warmup=1)
    cfg = Config.fromfile('configs/mobilenet_v3/mobilenet-v3-small_8xb128_in1k.py')
    benches, ratios = classification_benches(cfg, settings)
    run_rounds(benches, ['infer'], settings, progress=True)
    table = format_table(benches, ratios, ['infer'])
    zoo, tv = benches
    assert len(zoo.times['infer']) == len(tv.times['infer']) == 3  # the warm-up is not kept
    spread = ratio_spread(zoo.round_rates('infer'), tv.round_rates('infer'))
    match = re.search(r'^\| infer \| [\d.]+ \| [\d.]+ \| ([\d.]+) \(([\d.]+)-([\d.]+)\) \|$', table,
                      re.M)
    assert match, table
    assert float(match.group(1)) == pytest.approx(spread.ratio, abs=5e-4)
    assert float(match.group(2)) == pytest.approx(spread.low, abs=5e-4)
    assert float(match.group(3)) == pytest.approx(spread.high, abs=5e-4)
    assert ('WARNING: infer zoo / torchvision: the spread' in table) == (not spread.resolved)
