"""get_flops.py and benchmark.py, run as a user runs them."""
import re

import pytest

from tests.conftest import run_tool


def _half_unit(printed: str) -> float:
    """Half a unit of the last digit printed: how far the rounded number may be off."""
    decimals = len(printed.split('.')[1]) if '.' in printed else 0
    return 0.5 * 10**-decimals


def ratio_fits_the_rounded_figures(numerator: str, denominator: str, ratio: str) -> bool:
    """Whether the printed ``ratio`` can be the quotient of the unrounded figures behind the
    printed, rounded ``numerator`` and ``denominator``. Timings never enter: a loaded machine
    changes the figures, not this (0.09 / 0.08 images/s printed may be 1.0 .. 1.27)."""
    a, b, r = float(numerator), float(denominator), float(ratio)
    da, db, dr = _half_unit(numerator), _half_unit(denominator), _half_unit(ratio)
    low = (a - da) / (b + db)
    high = (a + da) / (b - db) if b > db else float('inf')
    return low - dr <= r <= high + dr


def test_get_flops_counts_lenet5():
    result = run_tool('tools/analysis_tools/get_flops.py', 'configs/lenet/lenet5_1xb64_digits.py',
                      '--shape', '32')
    assert 'Input shape: (1, 1, 32, 32)' in result.stdout
    assert 'Params: 61,706' in result.stdout
    # conv 28*28*6*25 + 10*10*16*150 + 120*400, then 120*84 + 84*10 (pools are not MACs)
    macs = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 120 * 400 + 120 * 84 + 84 * 10
    assert f'({macs / 1e6:,.1f} M)' in result.stdout


@pytest.mark.slow
def test_benchmark_prints_zoo_beside_torchvision():
    result = run_tool('tools/analysis_tools/benchmark.py', 'configs/resnet/resnet50_8xb32_in1k.py',
                      '--cfg-options', 'model.backbone.depth=18', 'model.head.in_channels=512',
                      '--shape', '64', '--batch-size', '2', '--iters', '1', '--rounds', '2',
                      '--warmup', '1')
    rows = {
        line.split('|')[1].strip(): line
        for line in result.stdout.splitlines()
        if line.startswith('| train') or line.startswith('| infer')
    }
    assert set(rows) == {'train', 'infer'}
    assert 'torchvision resnet18 images/s' in result.stdout
    for row in rows.values():
        zoo, tv, ratio, low, high = re.findall(r'[\d.]+', row)
        assert float(zoo) > 0 and float(tv) > 0
        assert ratio_fits_the_rounded_figures(zoo, tv, ratio), row
        assert float(low) <= float(high), row


def test_benchmark_without_a_torchvision_counterpart():
    result = run_tool('tools/analysis_tools/benchmark.py', 'configs/lenet/lenet5_1xb64_digits.py',
                      '--shape', '32', '--batch-size', '2', '--iters', '1', '--rounds', '1',
                      '--warmup', '1', '--mode', 'infer')
    assert 'torchvision has no model of this architecture' in result.stdout
    assert re.search(r'\| infer \| [\d.]+ \|', result.stdout)


@pytest.mark.slow
def test_benchmark_of_a_detection_config_adds_mmdet_parts_and_torchvision():
    result = run_tool('tools/analysis_tools/benchmark.py',
                      'configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', '--shape', '64',
                      '--batch-size', '1', '--iters', '1', '--rounds', '1', '--warmup', '1')
    header = ('| mode | zoo images/s | mmdet parts images/s | torchvision fasterrcnn_resnet50_fpn '
              'images/s | zoo / mmdet parts | zoo / torchvision |')
    assert header in result.stdout, result.stdout
    for mode in ('train', 'infer'):
        (row, ) = [line for line in result.stdout.splitlines() if line.startswith(f'| {mode} ')]
        zoo, mmdet, tv, to_mmdet, _, _, to_tv, _, _ = re.findall(r'[\d.]+', row)
        assert min(float(zoo), float(mmdet), float(tv)) > 0
        assert ratio_fits_the_rounded_figures(zoo, mmdet, to_mmdet), row
        assert ratio_fits_the_rounded_figures(zoo, tv, to_tv), row


def test_ratio_check_allows_the_rounding_of_the_figures_only():
    assert ratio_fits_the_rounded_figures('0.09', '0.08', '1.048')  # the flaky case, rounded
    assert ratio_fits_the_rounded_figures('12.3', '10.0', '1.23')
    assert not ratio_fits_the_rounded_figures('12.3', '10.0', '1.30')  # a wrong quotient
    assert not ratio_fits_the_rounded_figures('0.09', '0.08', '1.300')


@pytest.mark.slow  # a fresh interpreter imports torch and mmdet
def test_benchmark_refuses_a_detection_input_size_the_pyramid_cannot_take():
    result = run_tool(
        'tools/analysis_tools/benchmark.py',
        'configs/retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py',
        '--shape',
        '100',
        check=False)
    assert result.returncode != 0
    assert '--shape 100: detection inputs must be a multiple of 32' in result.stderr
