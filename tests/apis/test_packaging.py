"""The built wheel carries the configs (``zoo/.mim``, as mmpretrain's and mmdet's do): a zoo
installed outside the repository builds models by name, and another project's config inherits
``_base_ = 'zoo::...'`` before anything imports zoo (``zoo-config-scope.pth``).

The wheel is built from a copy of the sources and installed (non-editable, ``--target``) into
a fresh virtual environment that borrows this one's dependencies; the check runs there from
another directory without ``PYTHONPATH``."""
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT

SOURCES = [
    'setup.py', 'README.md', 'model-index.yml', 'zoo_config_scope.py', 'zoo-config-scope.pth',
    'zoo_mmcv_ext_hook.py', 'zoo-mmcv-ext.pth', 'zoo', 'configs', 'tools'
]

CHECK = """
import sys
from mmengine.config import Config
cfg = Config.fromfile('my_resnet.py')  # zoo:: resolves before anything imports zoo
assert cfg.model.head.num_classes == 4 and cfg.default_scope == 'zoo', cfg.model.head
import zoo
from zoo.apis import get_model, list_models
model = get_model('resnet18_8xb16_cifar10')
mine = get_model('my_resnet.py')
print('zoo at', zoo.__file__)
print('models', len(list_models()), 'classes', mine.head.fc.out_features,
      'config', model.cfg.filename)
"""


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f'{args} failed:\n{result.stdout[-3000:]}\n{result.stderr}'
    return result


def test_an_installed_zoo_builds_models_and_resolves_zoo_configs(tmp_path):
    source = tmp_path / 'src'
    source.mkdir()
    for name in SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(
                path,
                source / name,
                symlinks=True,
                ignore=shutil.ignore_patterns('__pycache__', '*.egg-info'))
        else:
            shutil.copy2(path, source / name)
    run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w',
        str(tmp_path / 'dist'), str(source))
    (wheel, ) = (tmp_path / 'dist').glob('zoo-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for packaged in ('zoo/.mim/model-index.yml', 'zoo/.mim/configs/resnet/metafile.yml',
                     'zoo/.mim/configs/resnet/resnet50_8xb32_in1k.py',
                     'zoo/.mim/configs/_base_/models/resnet50.py',
                     'zoo/.mim/tools/model_converters/torchvision_to_zoo.py',
                     'zoo-config-scope.pth', 'zoo_config_scope.py'):
        assert packaged in names, packaged

    venv = tmp_path / 'venv'
    run(sys.executable, '-m', 'venv', '--without-pip', str(venv))
    python = venv / 'bin' / 'python'
    site = Path(
        run(str(python), '-c',
            'import sysconfig; print(sysconfig.get_paths()["purelib"])').stdout.strip())
    # the dependencies (torch, mmengine, ...) come from this environment, zoo from the wheel
    (site / 'deps.pth').write_text(f'import site; site.addsitedir('
                                   f'{sysconfig.get_paths()["purelib"]!r})\n')
    run(sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(site),
        str(wheel))

    project = tmp_path / 'project'
    project.mkdir()
    (project / 'my_resnet.py').write_text(
        "_base_ = 'zoo::resnet/resnet18_8xb16_cifar10.py'\nmodel = dict(head=dict(num_classes=4))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = run(str(python), '-c', CHECK, cwd=project, env=env).stdout
    installed = site / 'zoo'
    assert f'zoo at {installed}/__init__.py' in out
    assert 'classes 4' in out
    assert f'config {installed}/.mim/configs/resnet/resnet18_8xb16_cifar10.py' in out
