"""zoo.mmcv_ext is what ``import mmcv._ext`` finds where mmcv has no compiled ``_ext``, and
only there: every name mmcv's ops ask for exists, a compiled ``_ext`` (working or broken)
always wins, and an op zoo does not implement names itself when called."""
import ast
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import mmcv
import pytest
import torch

import zoo_mmcv_ext_hook
from tests.conftest import REPO_ROOT
from zoo.mmcv_ext import ext

MMCV_DIR = Path(mmcv.__file__).parent
COMPILED = importlib.util.find_spec('mmcv._ext').origin.endswith(
    tuple(importlib.machinery.EXTENSION_SUFFIXES))


def load_ext_names() -> set:
    """The names mmcv's sources pass to ``load_ext('_ext', [...])``, read from the install."""
    names = set()
    for path in MMCV_DIR.rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call)
                    and getattr(node.func, 'attr', getattr(node.func, 'id', None)) == 'load_ext'
                    and len(node.args) == 2):
                names.update(ast.literal_eval(node.args[1]))
    return names


def python(code: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)


def test_every_name_mmcv_asks_for_is_served():
    requested = load_ext_names()
    assert len(requested) == 112  # 51 load_ext calls in mmcv 2.1.0
    assert requested == set(ext.MMCV_2_1_0_NAMES)
    assert all(callable(getattr(ext, name)) for name in requested)


def test_fresh_interpreter_imports_mmdet_models_through_the_pth(tmp_path):
    """The .pth setup.py installs, processed at start-up, before anything imports zoo."""
    site_dir = tmp_path / 'site'
    site_dir.mkdir()
    shutil.copy(REPO_ROOT / 'zoo-mmcv-ext.pth', site_dir)
    result = python(
        f"""
        import site, sys
        site.addsitedir({str(site_dir)!r})
        import mmdet.models
        import mmcv._ext
        from mmengine.utils.dl_utils import mmcv_full_available
        print(mmcv._ext.__spec__.origin, mmcv_full_available(), 'zoo' in sys.modules)
    """,
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    origin, full, zoo_imported = result.stdout.split()
    assert origin.endswith('.so') if COMPILED else origin == 'zoo.mmcv_ext'
    assert full == 'True'  # mmcv.ops imports, so mmengine may use its DCN / SyncBN classes
    assert zoo_imported == ('False' if COMPILED else 'True')  # the ops module imports zoo


def test_import_zoo_installs_the_finder_and_mmengine_agrees():
    result = python("""
        import zoo
        from mmengine.utils.dl_utils import mmcv_full_available
        from mmcv.ops import DeformConv2d, RoIAlign, batched_nms, nms
        print(mmcv_full_available())
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['True']


def test_a_compiled_ext_on_mmcvs_path_is_used_not_shadowed(tmp_path):
    (tmp_path / '_ext.py').write_text('COMPILED_STAND_IN = True\n')
    result = python(f"""
        import zoo_mmcv_ext_hook, mmcv
        zoo_mmcv_ext_hook.install()
        mmcv.__path__.insert(0, {str(tmp_path)!r})  # a module the path finders find first
        import mmcv._ext
        print(mmcv._ext.__file__)
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == str(tmp_path / '_ext.py')


def test_a_broken_compiled_ext_is_reported_not_replaced(tmp_path):
    """e.g. mmcv built for another torch: its ImportError reaches the user unchanged."""
    broken = tmp_path / f'_ext{importlib.machinery.EXTENSION_SUFFIXES[0]}'
    broken.write_bytes(b'not an ELF file')
    result = python(f"""
        import zoo_mmcv_ext_hook, mmcv
        zoo_mmcv_ext_hook.install()
        mmcv.__path__.insert(0, {str(tmp_path)!r})
        import mmcv._ext
    """)
    assert result.returncode != 0
    assert 'ImportError' in result.stderr and str(broken) in result.stderr


def test_compiled_mmcv_is_the_one_in_use_where_installed():
    names = {d.metadata['Name'] for d in importlib.metadata.distributions()}
    import mmcv._ext
    if 'mmcv' in names:  # mmcv with ops (ZOO_MMCV=compiled)
        assert mmcv._ext.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    else:
        assert 'mmcv-lite' in names and mmcv._ext.__spec__.origin == 'zoo.mmcv_ext'


def test_only_mmcv_2_1_0_is_served(monkeypatch):
    finder = zoo_mmcv_ext_hook.MmcvExtFinder()
    assert finder.find_spec('mmcv._ext').name == 'mmcv._ext'
    assert finder.find_spec('mmcv.ops') is None
    monkeypatch.setattr(mmcv, '__version__', '2.2.0')
    assert finder.find_spec('mmcv._ext') is None


def test_install_is_idempotent():
    zoo_mmcv_ext_hook.install()
    zoo_mmcv_ext_hook.install()
    finders = [f for f in sys.meta_path if type(f).__name__ == 'MmcvExtFinder']
    assert len(finders) == 1
    assert sys.meta_path.index(finders[0]) > sys.meta_path.index(
        importlib.machinery.PathFinder)  # after the normal finders


@pytest.mark.skipif(COMPILED, reason='compiled mmcv implements every op')
def test_an_op_without_implementation_names_itself():
    from mmcv.ops import box_iou_rotated
    boxes = torch.tensor([[5., 5., 4., 2., 0.3]])
    with pytest.raises(
            NotImplementedError,
            match=r'mmcv\._ext\.box_iou_rotated needs mmcv '
            r'built with ops.*ZOO_MMCV=compiled'):
        box_iou_rotated(boxes, boxes)


@pytest.mark.slow
def test_mmdets_own_train_py_trains_a_zoo_config(tmp_path):
    """mmdet's tools/train.py imports mmdet before the config's custom_imports bring zoo."""
    from mmengine.utils import get_installed_path

    from tests.conftest import run_tool
    data = tmp_path / 'shapes'
    run_tool('tools/dataset_converters/make_shapes_dataset.py', '--out', str(data), '--num-train',
             '4', '--num-val', '2', '--img-size', '96')
    coco = f'{data}/coco/'
    options = [
        f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
        for key in (f'dataset.data_root={coco}', 'num_workers=0', 'persistent_workers=False',
                    'batch_size=2')
    ]
    options += [
        f'{split}_evaluator.ann_file={coco}annotations/instances_val.json'
        for split in ('val', 'test')
    ]
    train_py = Path(get_installed_path('mmdet')) / '.mim' / 'tools' / 'train.py'
    result = run_tool(
        str(train_py), 'configs/faster_rcnn/faster-rcnn_r18_fpn_1xb8-4e_shapes.py', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', 'train_cfg.max_epochs=1', *options)
    assert 'Epoch(val) [1]' in result.stdout + result.stderr
    assert (tmp_path / 'work' / 'epoch_1.pth').exists()
