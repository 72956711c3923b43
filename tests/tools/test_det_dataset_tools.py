"""The shapes generator and the format converter as users run them."""
import importlib
import json
import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_tool
from zoo.det.formats import read_split

TOOLS = Path(__file__).resolve().parents[2] / 'tools/dataset_converters'


def load_tool(name):
    """The command line's module, imported by name from the checkout's ``tools/``."""
    return importlib.import_module(f'tools.dataset_converters.{name}')


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory):
    """The generator run as a user runs it, in a fresh interpreter. It lives in ``zoo.det``,
    which imports mmdet; where mmcv has no compiled ops, ``zoo.mmcv_ext`` serves them."""
    out = tmp_path_factory.mktemp('data') / 'shapes'
    script = out.parent / 'run_generator.py'
    script.write_text(
        textwrap.dedent(f'''
        import runpy, sys
        sys.argv = ['make_shapes_dataset.py', '--out', {str(out)!r}, '--num-train', '6',
                    '--num-val', '4', '--img-size', '80', '64', '--seed', '9']
        try:
            runpy.run_path({str(TOOLS / 'make_shapes_dataset.py')!r}, run_name='__main__')
        except SystemExit as done:
            assert done.code == 0, done.code
    '''))
    result = run_tool(str(script))
    assert 'train: 6 images' in result.stdout and 'val: 4 images' in result.stdout
    return out


def test_generator_cli_is_idempotent(shapes_root, capsys):
    tool = load_tool('make_shapes_dataset')
    args = [
        '--out',
        str(shapes_root), '--num-train', '6', '--num-val', '4', '--img-size', '80', '64', '--seed',
        '9'
    ]
    assert tool.main(args) == 0
    assert 'nothing to do' in capsys.readouterr().out
    assert tool.main(args[:-1] + ['10']) == 1  # another seed: refused without --force
    assert 'not the complete shapes data set' in capsys.readouterr().err
    manifest = json.loads((shapes_root / 'manifest.json').read_text())
    assert manifest['parameters']['width'] == 80 and manifest['parameters']['height'] == 64


def test_converter_cli_round_trip(shapes_root, tmp_path, capsys):
    tool = load_tool('convert_det_dataset')
    assert tool.main(
        [str(shapes_root / 'voc'),
         str(tmp_path / 'yolo'), '--from', 'voc', '--to', 'yolo']) == 0
    captured = capsys.readouterr()
    assert 'train: 6 images' in captured.out
    assert re.search(r'6/6, .*ETA:\s*0s\n', captured.err)  # the bar over the train images
    assert tool.main([
        str(tmp_path / 'yolo'),
        str(tmp_path / 'coco'), '--from', 'yolo', '--to', 'coco', '--splits', 'val'
    ]) == 0
    back = read_split(str(tmp_path / 'coco'), 'coco', 'val')
    original = read_split(str(shapes_root / 'coco'), 'coco', 'val')
    assert [r.bboxes.tolist() for r in back.images] == [r.bboxes.tolist() for r in original.images]
    assert [r.labels.tolist() for r in back.images] == [r.labels.tolist() for r in original.images]
    assert not (tmp_path / 'coco/annotations/instances_train.json').exists()


def test_converter_cli_refuses_to_overwrite_and_reports_broken_input(shapes_root, tmp_path, capsys):
    tool = load_tool('convert_det_dataset')
    out = tmp_path / 'coco'
    out.mkdir()
    assert tool.main([str(shapes_root / 'yolo'), str(out), '--from', 'yolo', '--to', 'coco']) == 1
    assert 'use --force' in capsys.readouterr().err

    import shutil
    broken = tmp_path / 'yolo'
    shutil.copytree(shapes_root / 'yolo', broken)
    label = broken / 'labels/train/train_000002.txt'
    label.write_text(label.read_text() + '0 0.5 0.5 0.1\n')
    line = len(label.read_text().splitlines())
    args = [str(broken), str(tmp_path / 'out'), '--from', 'yolo', '--to', 'voc']
    assert tool.main(args) == 1
    assert f'train_000002.txt, line {line}: expected 5 fields' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
    assert tool.main(args + ['--on-error', 'skip']) == 0
    assert '1 broken annotations skipped' in capsys.readouterr().out
