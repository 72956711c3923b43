"""zoo: a plugin-based model zoo for MMEngine, mmpretrain-style classification and mmdet."""
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version

from mmengine.utils import digit_version

import zoo_mmcv_ext_hook
from .version import __version__

MMENGINE = ('0.10.7', '1.0.0')  # lowest version allowed, first version not allowed
MMCV = ('2.1.0', '2.2.0')  # mmdet 3.3.0 refuses mmcv 2.2
# mmcv-lite (mmcv without compiled ops) works through zoo.mmcv_ext, which serves 2.1.0's ops
MMCV_LITE = '2.1.0'
_INSTALL = (f'pip install mmcv-lite=={MMCV_LITE} (bash tools/setup_env.sh does), or mmcv '
            f'{MMCV[0]} built with ops (ZOO_MMCV=compiled bash tools/setup_env.sh)')


def _installed(name: str) -> str:
    try:
        return installed_version(name)
    except PackageNotFoundError:
        return ''


def _within(found: str, bounds) -> bool:
    return digit_version(bounds[0]) <= digit_version(found) < digit_version(bounds[1])


def _check_dependencies() -> None:
    problems = []
    mmengine = _installed('mmengine')
    if not mmengine:
        problems.append(f'mmengine is not installed (need >={MMENGINE[0]}, <{MMENGINE[1]})')
    elif not _within(mmengine, MMENGINE):
        problems.append(f'mmengine=={mmengine} is installed, but zoo needs '
                        f'mmengine>={MMENGINE[0]}, <{MMENGINE[1]}')
    mmcv, lite = _installed('mmcv'), _installed('mmcv-lite')
    if mmcv and lite:
        problems.append(f'both mmcv=={mmcv} and mmcv-lite=={lite} are installed and share the '
                        f'mmcv/ folder: pip uninstall -y mmcv mmcv-lite, then {_INSTALL}')
    elif not mmcv and not lite:
        problems.append(f'mmcv is not installed: {_INSTALL}')
    elif mmcv and not _within(mmcv, MMCV):
        problems.append(f'mmcv=={mmcv} is installed, but zoo needs mmcv>={MMCV[0]}, '
                        f'<{MMCV[1]}: {_INSTALL}')
    elif lite and lite != MMCV_LITE:
        problems.append(f'mmcv-lite=={lite} is installed, but zoo needs mmcv-lite=={MMCV_LITE} '
                        f'(zoo.mmcv_ext serves its ops) or mmcv {MMCV[0]} with ops: {_INSTALL}')
    if problems:
        raise ImportError('zoo cannot run with this environment: ' + '; '.join(problems) +
                          '. Run tools/setup_env.sh to build the pinned stack.')


_check_dependencies()
# mmdet's ops on mmcv-lite: `import mmcv._ext` finds zoo.mmcv_ext where no compiled one exists
# (the zoo-mmcv-ext.pth file does the same at start-up, for code that imports mmdet first).
zoo_mmcv_ext_hook.install()

# `_base_ = 'zoo::resnet/resnet50_8xb32_in1k.py'`: MMEngine resolves `pkg::` paths only for the
# packages in this table (an installed zoo also adds itself at start-up: zoo_config_scope.py).
from mmengine.config.utils import MODULE2PACKAGE  # noqa: E402

# Creating the child registries is what makes `type='zoo.X'` resolvable from any scope
# (mmdet's included) after `custom_imports=dict(imports=['zoo'])`; the components themselves
# are imported lazily through the registries' `locations`.
from . import registry  # noqa: E402,F401

MODULE2PACKAGE.setdefault('zoo', 'zoo')

__all__ = ['__version__']
