"""tools/analysis_tools/benchmark_training.py on LeNet-5 digits, --synthetic: the Runner loop and
the plain loop both train, and the table, the ratio and its spread are printed (no timing is
checked)."""
import re

from tests.conftest import run_tool

NUMBER = r'\d+\.\d+'


def test_lenet_synthetic_prints_table_ratio_and_spread():
    out = run_tool('tools/analysis_tools/benchmark_training.py',
                   'configs/lenet/lenet5_1xb64_digits.py', '--synthetic', '--iters', '2',
                   '--rounds', '2', '--warmup', '1').stdout
    assert re.search(rf'^\| runner \| config \| {NUMBER} \|$', out, re.M), out
    assert re.search(rf'^\| plain \| zoo model, plain loop \| {NUMBER} \|$', out, re.M), out
    ratio = re.search(rf'^runner / plain: ({NUMBER})$', out, re.M)
    spread = re.search(
        rf'^per-round ratios: ({NUMBER})-({NUMBER}) \(spread ({NUMBER}), 2 rounds\)$', out, re.M)
    assert ratio and spread, out
    low, high, width = map(float, spread.groups())
    r = float(ratio.group(1))
    # with 2 rounds the ratio of the medians (means) is a weighted mean of the round ratios
    assert 0 < low - 1e-3 <= r <= high + 1e-3, out
    assert abs(width - (high - low)) <= 2e-3, out
    if abs(width - abs(r - 1)) > 2e-3:  # away from the rounding edge
        assert ('WARNING: the spread' in out) == (width > abs(r - 1)), out
