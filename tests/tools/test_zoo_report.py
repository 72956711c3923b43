"""tools/analysis_tools/zoo_report.py (:mod:`zoo.analysis.report`) on two small models at 64 px.

The tool's ``main`` runs in this process (a subprocess would spend seconds importing torch and
mmengine per call); its argument parsing and output are those of the command line.
"""
import re
from pathlib import Path

import pytest
import torch
import torchvision

from tests.conftest import make_image_folder
from zoo.analysis import report as REPORT

MODELS = ('mobilenet-v2_8xb32_in1k', 'mobilenet-v3-small_8xb128_in1k')


def run_report(capsys, *args: str) -> str:
    REPORT.main(list(args))
    return capsys.readouterr().out


def table(stdout: str) -> list:
    """The markdown table's rows (header first, separator dropped) as lists of cells."""
    lines = [line for line in stdout.splitlines() if line.startswith('|')]
    assert re.fullmatch(r'\|( --- \|)+', lines[1]), stdout
    return [[cell.strip() for cell in line.strip('|').split('|')] for line in lines[:1] + lines[2:]]


def test_report_compares_params_flops_logits_and_speed(capsys):
    stdout = run_report(capsys, '--models', *MODELS, '--shape', '64', '--batch-size', '2',
                        '--iters', '1', '--rounds', '1', '--warmup', '1')
    header, *rows = table(stdout)
    assert header == [
        'model', 'px', 'params M zoo', 'params M mmpretrain', 'params M torchvision', 'GFLOPs zoo',
        'GFLOPs mmpretrain', 'GFLOPs torchvision', 'max abs diff vs torchvision', 'train img/s zoo',
        'train img/s torchvision', 'infer img/s zoo', 'infer img/s torchvision'
    ]
    cells = {row[0]: dict(zip(header, row)) for row in rows}
    assert list(cells) == list(MODELS)
    v2, v3 = cells[MODELS[0]], cells[MODELS[1]]
    assert (v2['px'], v2['params M zoo'], v2['params M mmpretrain'],
            v2['params M torchvision']) == ('64', '3.50', '3.50', '3.50')
    assert (v3['params M zoo'], v3['GFLOPs mmpretrain'], v3['GFLOPs torchvision']) == \
        ('2.54', '0.060', '0.057')
    # 64 px is (64 / 224)^2 of the 224 px work, give or take the resolution-independent head
    assert 0.06 * 0.319 < float(v2['GFLOPs zoo']) < 0.1 * 0.319
    for row in cells.values():
        assert float(row['max abs diff vs torchvision']) <= 1e-4
        for column in header[-4:]:
            assert float(row[column]) > 0


def zoo_checkpoint(path: Path) -> Path:
    """torchvision's MobileNetV3-Small with random weights, converted, and its last bias set so
    that it predicts class 0, then 1, then 2 for every image."""
    converter = REPORT.torchvision_converter()
    torch.manual_seed(0)
    state = converter.convert('mobilenet_v3_small',
                              torchvision.models.mobilenet_v3_small().state_dict())
    bias = torch.zeros(1000)
    bias[:3] = torch.tensor([300., 200., 100.])
    state['head.layers.1.fc.weight'].zero_()
    state['head.layers.1.fc.bias'] = bias
    torch.save(dict(state_dict=state), path)
    return path


def test_report_measures_accuracy_of_a_checkpoint(tmp_path, capsys):
    images = make_image_folder(tmp_path / 'val', num_classes=3, per_class=2)
    checkpoint = zoo_checkpoint(tmp_path / 'mbv3s.pth')
    stdout = run_report(capsys, '--models', MODELS[1], '--shape', '64', '--no-speed',
                        '--batch-size', '4', '--checkpoint', f'{MODELS[1]}={checkpoint}',
                        '--data-root', str(images))
    header, row = table(stdout)
    cells = dict(zip(header, row))
    assert 'train img/s zoo' not in cells
    # every image is predicted class 0 (top-1: the third of class 0) and 0, 1, 2 in the top 5
    assert (cells['top-1 measured'], cells['top-5 measured']) == ('33.33', '100.00')
    assert (cells['top-1 mmpretrain'], cells['top-1 torchvision']) == ('66.68', '67.67')
    assert (cells['top-5 mmpretrain'], cells['top-5 torchvision']) == ('86.74', '87.40')


@pytest.mark.parametrize('args, message', [
    (['--models', 'resnet9000'], "--models: unknown ['resnet9000']; known:"),
    (['--models', MODELS[0], '--checkpoint', 'x.pth'], "expected NAME=PATH"),
    (['--models', MODELS[0], '--checkpoint', f'{MODELS[0]}=missing.pth'], 'no such file'),
])
def test_bad_options_are_named(args, message, capsys):
    with pytest.raises(SystemExit) as error:
        REPORT.main(args)
    assert error.value.code == 2
    assert message in capsys.readouterr().err
