"""Run at interpreter start-up by ``zoo-config-scope.pth`` (installed beside zoo): makes
MMEngine resolve ``zoo::`` config paths (``_base_ = 'zoo::resnet/resnet50_8xb32_in1k.py'``) in
any program, mmdet's and mmpretrain's tools included, without importing zoo first.

MMEngine resolves ``pkg::path`` only for the packages of its ``MODULE2PACKAGE`` table. This
adds ``zoo`` to the table when ``mmengine.config.utils`` is first imported; it imports nothing
itself, so start-up costs a list lookup per import.
"""
import importlib.abc
import importlib.util
import os.path as osp
import sys

_TARGET = 'mmengine.config.utils'


def zoo_package_path(package_path: str) -> str:
    """The folder of the ``zoo`` package where MMEngine guessed wrong.

    MMEngine's ``get_installed_path`` joins the distribution's location with the package name:
    for an editable install (``pip install -e``, PEP 660) that is ``<site-packages>/zoo``, where
    no such folder exists; the package is the checkout's ``zoo/``, which ``find_spec`` finds
    without importing it.
    """
    if osp.basename(package_path) != 'zoo' or osp.isdir(package_path):
        return package_path
    spec = importlib.util.find_spec('zoo')
    if spec is None or not spec.submodule_search_locations:
        return package_path
    return list(spec.submodule_search_locations)[0]


def _register(utils) -> None:
    """Add ``zoo`` to MMEngine's config packages and correct its path for editable installs."""
    utils.MODULE2PACKAGE.setdefault('zoo', 'zoo')
    for name in ('_get_external_cfg_path', '_get_external_cfg_base_path'):
        resolve = getattr(utils, name)
        if getattr(resolve, '_zoo_wrapped', False):
            continue

        def resolve_in_zoo(package_path, cfg, _resolve=resolve):
            return _resolve(zoo_package_path(package_path), cfg)

        resolve_in_zoo._zoo_wrapped = True
        setattr(utils, name, resolve_in_zoo)


class _ZooConfigScopeFinder(importlib.abc.MetaPathFinder):

    def find_spec(self, name, path=None, target=None):
        if name != _TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module  # the loader is this spec's own instance

        def exec_and_register(module):
            exec_module(module)  # mmengine.config.config binds the wrapped functions after this
            _register(module)

        spec.loader.exec_module = exec_and_register
        return spec


if not any(isinstance(f, _ZooConfigScopeFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _ZooConfigScopeFinder())
