"""tools/analysis_tools/benchmark.py --variant: a second zoo model in the same rounds."""
import re

import pytest

from tests.conftest import run_tool

pytestmark = pytest.mark.slow

ARGS = ('tools/analysis_tools/benchmark.py', 'configs/resnet/resnet18_8xb16_cifar10.py', '--shape',
        '32', '--batch-size', '2', '--iters', '1', '--rounds', '1', '--warmup', '1', '--mode',
        'train')
NUMBER = r'\d+\.\d+'


def test_variant_adds_a_column_and_keeps_the_plain_table():
    plain = run_tool(*ARGS).stdout
    assert re.search(rf'^\| mode \| zoo images/s \|\n\| --- \| --- \|\n\| train \| {NUMBER} \|$',
                     plain, re.M), plain

    frozen = run_tool(*ARGS, '--variant', 'model.backbone.frozen_stages=3').stdout
    header = '| mode | zoo images/s | zoo model.backbone.frozen_stages=3 images/s | variant / zoo |'
    assert header in frozen, frozen
    ratio = rf'{NUMBER} \({NUMBER}-{NUMBER}\)'  # the median rounds' ratio (per-round min-max)
    assert re.search(rf'^\| train \| {NUMBER} \| {NUMBER} \| {ratio} \|$', frozen, re.M), frozen
