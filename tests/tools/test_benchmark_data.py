"""tools/analysis_tools/benchmark_data.py on generated and on given JPEGs: every pipeline runs on
the files and the table prints images/s, the ratio to decode-only with the per-round min-max,
and the warnings that the rounds call for (no timing is checked); the pipeline rewrite that
fuses LoadImageFromFile and RandomResizedCrop."""
import re

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from tests.conftest import run_tool
from zoo.analysis.data_benchmark import (DECODE_ONLY, DataBenchSettings, pipelines, run_data_bench,
                                         with_fused_decode, write_photos)

NUMBER = r'\d+\.\d+'
PIPELINES = (DECODE_ONLY, 'zoo config', 'zoo DecodeRandomResizedCrop', 'torchvision PIL',
             'torchvision v2')
CONFIG = 'configs/resnet/resnet50_8xb32_in1k.py'


def table_rows(out: str) -> dict:
    rows = {}
    for name in PIPELINES:
        match = re.search(
            rf'^\| {re.escape(name)} \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER})-({NUMBER}) \|$', out,
            re.M)
        assert match, (name, out)
        rows[name] = [float(v) for v in match.groups()]
    return rows


def check_warnings(out: str, rows: dict) -> None:
    for name, (_, ratio, low, high) in rows.items():
        if name != DECODE_ONLY and abs((high - low) - abs(ratio - 1)) > 2e-3:  # off the edge
            warned = f'WARNING: {name} / decode only: the spread' in out
            assert warned == (high - low > abs(ratio - 1)), (name, out)


def test_generated_photos_table_ratios_and_spread():
    out = run_tool('tools/analysis_tools/benchmark_data.py', CONFIG, '--num-images', '6',
                   '--rounds', '2').stdout
    assert '6 generated 500x375 JPEGs (quality 90); one process, 1 thread(s)' in out, out
    rows = table_rows(out)
    assert rows[DECODE_ONLY][1:] == [1.0, 1.0, 1.0]
    for images_per_second, ratio, low, high in rows.values():
        assert images_per_second > 0 and 0 < low <= high
    check_warnings(out, rows)
    # a 224 crop of a 500x375 photo is never 448 px tall: nothing to reduce
    assert 'DecodeRandomResizedCrop decodes 0% of the crops at reduced size' in out, out


def test_given_folder_of_large_photos_is_decoded_reduced(tmp_path):
    write_photos(str(tmp_path), 4, (1600, 1200))
    cfg = Config.fromfile(CONFIG)
    result = run_data_bench(cfg, DataBenchSettings(data_root=str(tmp_path), num_images=4, rounds=1))
    assert result.num_images == 4 and set(result.rates) == set(PIPELINES)
    assert result.reduced_share > 0.5  # most 224 crops of 1600x1200 are >= 448 px
    assert result.description == f'4 images from {tmp_path}'


def test_every_pipeline_gives_a_224_sample(tmp_path):
    (path, ) = write_photos(str(tmp_path), 1, (500, 375))
    assert cv2.imread(path).shape == (375, 500, 3)
    outputs = {name: fn(path) for name, fn in pipelines(Config.fromfile(CONFIG)).items()}
    assert outputs[DECODE_ONLY].shape == (375, 500, 3)
    for name in ('zoo config', 'zoo DecodeRandomResizedCrop'):
        assert outputs[name]['inputs'].shape == (3, 224, 224)
    assert outputs['torchvision PIL'].shape == outputs['torchvision v2'].shape == (3, 224, 224)


def test_fusing_keeps_both_steps_arguments():
    pipeline = [
        dict(type='LoadImageFromFile', backend_args=None),
        dict(type='RandomResizedCrop', scale=192, crop_ratio_range=(0.25, 1.0)),
        dict(type='PackInputs')
    ]
    assert with_fused_decode(pipeline) == [
        dict(
            type='DecodeRandomResizedCrop',
            scale=192,
            crop_ratio_range=(0.25, 1.0),
            backend_args=None),
        dict(type='PackInputs')
    ]
    with pytest.raises(ValueError, match='does not start with LoadImageFromFile'):
        with_fused_decode(pipeline[1:])
    with pytest.raises(ValueError, match='decodes with OpenCV'):
        with_fused_decode([dict(pipeline[0], imdecode_backend='pillow')] + pipeline[1:])


def test_missing_data_root_is_named(tmp_path):
    result = run_tool(
        'tools/analysis_tools/benchmark_data.py',
        CONFIG,
        '--data-root',
        str(tmp_path / 'nowhere'),
        check=False)
    assert result.returncode != 0
    assert f'--data-root {tmp_path / "nowhere"} is not a folder' in result.stderr


@pytest.mark.slow  # ten worker processes on two cores
def test_workers():
    out = run_tool('tools/analysis_tools/benchmark_data.py', CONFIG, '--num-images', '8',
                   '--rounds', '2', '--workers', '2', '--batch-size', '4').stdout
    assert '2 DataLoader workers, batch 4' in out, out
    rows = table_rows(out)
    assert all(np.isfinite(v).all() for v in rows.values())
    check_warnings(out, rows)
