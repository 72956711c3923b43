"""zoo: a plugin-based model zoo for MMEngine, mmpretrain-style classification and mmdet."""
from importlib.metadata import PackageNotFoundError, version as installed_version

from mmengine.utils import digit_version

from .version import __version__

# (distributions that provide the package, lowest version allowed, first version not allowed);
# mmcv-lite is mmcv without the compiled ops, enough for classification.
_REQUIRED = (
    (('mmengine', ), '0.10.7', '1.0.0'),
    (('mmcv', 'mmcv-lite'), '2.1.0', '2.2.0'),
)


def _installed(distributions) -> str:
    for name in distributions:
        try:
            return installed_version(name)
        except PackageNotFoundError:
            continue
    return ''


def _check_dependencies() -> None:
    problems = []
    for distributions, lowest, too_new in _REQUIRED:
        package = distributions[0]
        found = _installed(distributions)
        if not found:
            problems.append(f'{package} is not installed (need >={lowest}, <{too_new})')
        elif not digit_version(lowest) <= digit_version(found) < digit_version(too_new):
            problems.append(f'{package}=={found} is installed, but zoo needs '
                            f'{package}>={lowest}, <{too_new}')
    if problems:
        raise ImportError('zoo cannot run with this environment: ' + '; '.join(problems) +
                          '. Run tools/setup_env.sh to build the pinned stack.')


_check_dependencies()

# Creating the child registries is what makes `type='zoo.X'` resolvable from any scope
# (mmdet's included) after `custom_imports=dict(imports=['zoo'])`; the components themselves
# are imported lazily through the registries' `locations`.
from . import registry  # noqa: E402,F401

# `_base_ = 'zoo::resnet/resnet50_8xb32_in1k.py'`: MMEngine resolves `pkg::` paths only for the
# packages in this table (an installed zoo also adds itself at start-up: _zoo_config_scope.py).
from mmengine.config.utils import MODULE2PACKAGE  # noqa: E402

MODULE2PACKAGE.setdefault('zoo', 'zoo')

__all__ = ['__version__']
