"""tools/analysis_tools/zoo_report.py (:mod:`zoo.analysis.report`) on small models at 32-64 px:
each peer column comes from the installed peer.

The tool's ``main`` runs in this process (a subprocess would spend seconds importing torch and
mmengine per call); its argument parsing and output are those of the command line.
"""
import re
from pathlib import Path

import mmpretrain
import pytest
import timm
import torch
import torchvision

from tests.conftest import make_image_folder
from zoo.analysis import report as REPORT
from zoo.converters import torchvision_to_zoo
from zoo.utils.metafile import load_mmpretrain_metafiles

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
    assert header == ['model', 'px'] + [
        f'{figure} {source}' for figure in ('params M', 'GFLOPs')
        for source in ('zoo', 'mmpretrain', 'published', 'torchvision', 'timm')
    ] + [f'max abs diff vs {peer}' for peer in ('mmpretrain', 'torchvision', 'timm')] + [
        f'{mode} img/s {source}' for mode in ('train', 'infer')
        for source in ('zoo', 'mmpretrain', 'torchvision')
    ]
    cells = {row[0]: dict(zip(header, row)) for row in rows}
    assert list(cells) == list(MODELS)
    v2, v3 = cells[MODELS[0]], cells[MODELS[1]]
    assert v2['px'] == '64'
    for source in ('zoo', 'mmpretrain', 'published', 'torchvision', 'timm'):
        assert v2[f'params M {source}'] == '3.50'
    assert (v3['params M zoo'], v3['GFLOPs published'], v3['GFLOPs torchvision']) == \
        ('2.54', '0.060', '0.057')
    # 64 px is (64 / 224)^2 of the 224 px work, give or take the resolution-independent head
    assert 0.06 * 0.319 < float(v2['GFLOPs zoo']) < 0.1 * 0.319
    for row in cells.values():
        assert row['GFLOPs mmpretrain'] == row['GFLOPs zoo']  # the same network, the same counter
        assert float(row['max abs diff vs torchvision']) <= 1e-4
        # timm's MobileNets name their layers their own way: zoo.converters.timm_to_zoo
        assert float(row['max abs diff vs timm']) <= 1e-4
        for column in header[-6:]:
            assert float(row[column]) > 0
    assert 'Peers (random weights' in stdout
    assert f'- {MODELS[1]}: mmpretrain configs/mobilenet_v3/{MODELS[1]}.py; published: ' \
        f'{MODELS[1]} (mmpretrain\'s metafile); torchvision mobilenet_v3_small IMAGENET1K_V1; ' \
        'timm mobilenetv3_small_100' in stdout


R50 = 'resnet50_8xb32_in1k'


def resnet50_row(capsys) -> dict:
    header, row = table(run_report(capsys, '--models', R50, '--shape', '32', '--no-speed'))
    return dict(zip(header, row))


def test_each_peers_weights_load_into_the_zoo_model_with_equal_logits(capsys):
    cells = resnet50_row(capsys)
    for peer in ('mmpretrain', 'torchvision', 'timm'):
        assert float(cells[f'max abs diff vs {peer}']) <= 1e-5, peer
    assert cells['params M zoo'] == cells['params M mmpretrain'] == cells['params M timm'] == \
        cells['params M torchvision'] == '25.56'
    assert cells['GFLOPs zoo'] == cells['GFLOPs mmpretrain'] == cells['GFLOPs timm']
    assert (cells['GFLOPs published'], cells['GFLOPs torchvision']) == ('4.12', '4.09')


def test_each_peer_column_is_computed_from_the_peer(capsys, monkeypatch):
    """Another network in each peer's place (ResNet-18 instead of -50) changes its cells."""
    monkeypatch.setattr(REPORT, 'build_mmpretrain',
                        lambda config: mmpretrain.get_model(str(config).replace('50', '18')))
    monkeypatch.setattr(REPORT, 'build_timm',
                        lambda name, num_classes, size: timm.create_model('resnet18'))
    meta = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta
    monkeypatch.setitem(meta, 'num_params', 11689512)
    monkeypatch.setitem(meta, '_ops', 1.814)
    published = load_mmpretrain_metafiles()[R50]
    monkeypatch.setattr(published, 'params', 11690000)
    cells = resnet50_row(capsys)
    assert cells['params M zoo'] == '25.56'
    for source in ('mmpretrain', 'published', 'torchvision', 'timm'):
        assert cells[f'params M {source}'] == '11.69', source
    assert cells['GFLOPs torchvision'] == '1.81'
    assert float(cells['GFLOPs mmpretrain']) < float(cells['GFLOPs zoo'])
    assert cells['GFLOPs timm'] == cells['GFLOPs mmpretrain']
    assert re.fullmatch(r'keys differ: \d+ of 122', cells['max abs diff vs mmpretrain'])
    assert cells['max abs diff vs timm'] == 'keys differ: 0 of 122'
    assert float(cells['max abs diff vs torchvision']) <= 1e-5  # torchvision's model is unchanged


def zoo_checkpoint(path: Path) -> Path:
    """torchvision's MobileNetV3-Small with random weights, converted, and its last bias set so
    that it predicts class 0, then 1, then 2 for every image."""
    torch.manual_seed(0)
    state = torchvision_to_zoo.convert('mobilenet_v3_small',
                                       torchvision.models.mobilenet_v3_small().state_dict())
    bias = torch.zeros(1000)
    bias[:3] = torch.tensor([30., 20., 10.])  # softmax scores above 0 (Accuracy thrs=0.)
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
    assert (cells['top-1 published'], cells['top-1 torchvision']) == ('66.68', '67.67')
    assert (cells['top-5 published'], cells['top-5 torchvision']) == ('86.74', '87.40')


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


CLOSING_NOTE_MODELS = ('resnet50_8xb32_in1k', 'mobilenet-v3-large_8xb128_in1k',
                       'swin-tiny_16xb64_in1k', 'vit-base-p16_64xb64_in1k')


@pytest.mark.slow
def test_report_of_the_closing_note_models(capsys):
    """The four rows of issue 9's closing note at 224 px, speed included (one iteration):
    ``python -m pytest -m slow tests/tools/test_zoo_report.py``."""
    stdout = run_report(capsys, '--models', *CLOSING_NOTE_MODELS, '--batch-size', '1', '--iters',
                        '1', '--rounds', '1', '--warmup', '0')
    header, *rows = table(stdout)
    cells = {row[0]: dict(zip(header, row)) for row in rows}
    assert list(cells) == list(CLOSING_NOTE_MODELS)
    for name, row in cells.items():
        assert row['px'] == '224'
        # the same architecture in every peer but mmpretrain's ViT-B recipe, whose head has a
        # 3072-wide representation layer (the zoo config keeps torchvision's linear head)
        peers = ('torchvision', 'timm') if name.startswith('vit') else \
            ('mmpretrain', 'torchvision', 'timm')
        for peer in peers:
            assert row[f'params M {peer}'] == row['params M zoo'], (name, peer)
        assert float(row['max abs diff vs torchvision']) <= 1e-4, name
        assert float(row['max abs diff vs timm']) <= 1e-4, name
        # mmpretrain's model loads strictly where its keys are the zoo's; else the cell says so
        diff = row['max abs diff vs mmpretrain']
        if diff.startswith('keys differ'):
            matched, total = map(int, re.fullmatch(r'keys differ: (\d+) of (\d+)', diff).groups())
            assert matched < total, name
        else:
            assert float(diff) <= 1e-4, name
        for column in header:
            if column.endswith('img/s zoo') or column.endswith('img/s mmpretrain'):
                assert float(row[column]) > 0
    assert float(cells[CLOSING_NOTE_MODELS[0]]['max abs diff vs mmpretrain']) <= 1e-5
    assert float(cells[CLOSING_NOTE_MODELS[0]]['max abs diff vs timm']) <= 1e-5
    assert cells[CLOSING_NOTE_MODELS[3]]['max abs diff vs mmpretrain'].startswith('keys differ')
