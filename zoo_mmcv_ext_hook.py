"""Import hook: serve zoo's torchvision-backed ``mmcv._ext`` where mmcv has no compiled one.

mmcv-lite is mmcv without its compiled ``_ext``, so ``import mmcv.ops`` (and with it
``mmdet.models``) fails. :class:`MmcvExtFinder` answers ``import mmcv._ext`` with
``zoo.mmcv_ext`` (the ops mmdet calls, built on torchvision and torch; every other name
raises when called). It sits after the normal finders on ``sys.meta_path``: a compiled
``_ext`` on mmcv's path is always found first, and a broken one raises its own ImportError.

This module is top level and imports only the standard library because the ``zoo-mmcv-ext.pth``
file that setup.py installs imports it at every interpreter start-up; the ops themselves are
imported only when ``mmcv._ext`` is.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import sys

EXT_NAME = 'mmcv._ext'
# The mmcv release whose ``load_ext`` names zoo.mmcv_ext serves (mmcv/ops, enumerated there).
SERVED_MMCV = '2.1.0'


class MmcvExtLoader(importlib.abc.Loader):
    """Creates ``mmcv._ext`` as a fresh module holding zoo.mmcv_ext's ops."""

    def exec_module(self, module) -> None:
        from zoo.mmcv_ext import ext
        module.__dict__.update({name: getattr(ext, name) for name in ext.__all__})


class MmcvExtFinder(importlib.abc.MetaPathFinder):
    """Finds ``mmcv._ext`` only when no earlier finder did, and only for mmcv 2.1.0."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != EXT_NAME:
            return None
        mmcv = sys.modules.get('mmcv')
        if mmcv is None or getattr(mmcv, '__version__', None) != SERVED_MMCV:
            return None  # another mmcv: its own missing-_ext error is the honest one
        return importlib.machinery.ModuleSpec(fullname, MmcvExtLoader(), origin='zoo.mmcv_ext')


def install() -> None:
    """Append the finder to ``sys.meta_path`` once (after the path finders)."""
    if not any(type(f).__name__ == MmcvExtFinder.__name__ for f in sys.meta_path):
        sys.meta_path.append(MmcvExtFinder())
