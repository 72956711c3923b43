"""The detection converter as users run it, when things go wrong: it never leaves a half-written
target and never destroys its source; a truncated COCO file is named."""
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_tool


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp('data') / 'shapes'
    run_tool('tools/dataset_converters/make_shapes_dataset.py', '--out', str(out), '--num-train',
             '4', '--num-val', '2', '--img-size', '64', '64', '--seed', '3')
    return out


def convert(src: Path, dst: Path, *args: str):
    return run_tool(
        'tools/dataset_converters/convert_det_dataset.py', str(src), str(dst), *args, check=False)


def listing(folder: Path):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob('*'))


@pytest.mark.parametrize('where', ['same', 'inside', 'holds'])
def test_target_that_is_in_or_around_the_source_is_refused(shapes_root, tmp_path, where):
    import shutil
    src = tmp_path / 'coco'
    shutil.copytree(shapes_root / 'coco', src)
    before = listing(src)
    dst = dict(same=src, inside=src / 'as_yolo', holds=tmp_path)[where]
    result = convert(src, dst, '--from', 'coco', '--to', 'yolo', '--force')
    assert result.returncode == 1
    says = dict(
        same='is the source', inside='lies inside the source',
        holds='lies inside the target')[where]
    assert 'refused: ' in result.stderr and says in result.stderr, result.stderr
    assert listing(src) == before  # nothing deleted, nothing added


def test_failed_conversion_leaves_no_incomplete_folder(shapes_root, tmp_path):
    import shutil
    src = tmp_path / 'yolo'
    shutil.copytree(shapes_root / 'yolo', src)
    # the second split is broken: the first was already written when the conversion fails
    (src / 'val.txt').write_text((src / 'val.txt').read_text() + 'images/val/missing.png\n')
    dst = tmp_path / 'out'
    result = convert(src, dst, '--from', 'yolo', '--to', 'coco')
    assert result.returncode == 1 and 'conversion failed' in result.stderr, result.stderr
    assert not dst.exists() and not (tmp_path / 'out.incomplete').exists()


def test_truncated_coco_json_is_named_by_the_dataset(shapes_root, tmp_path):
    pytest.importorskip('mmdet.datasets')
    import shutil
    root = tmp_path / 'coco'
    shutil.copytree(shapes_root / 'coco', root)
    ann = root / 'annotations' / 'instances_val.json'
    ann.write_text(ann.read_text()[:-40])
    script = tmp_path / 'load.py'
    script.write_text(
        textwrap.dedent(f'''
        from zoo.det.datasets import CocoDataset
        CocoDataset(data_root={str(root)!r}, ann_file='annotations/instances_val.json',
                    data_prefix=dict(img='val/'))
    '''))
    result = run_tool(str(script), check=False)
    assert result.returncode != 0
    assert f'{ann} is not valid JSON (truncated?)' in result.stderr, result.stderr[-3000:]
