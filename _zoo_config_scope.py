"""Run at interpreter start-up by ``zoo-config-scope.pth`` (installed beside zoo): makes
MMEngine resolve ``zoo::`` config paths (``_base_ = 'zoo::resnet/resnet50_8xb32_in1k.py'``) in
any program, mmdet's and mmpretrain's tools included, without importing zoo first.

MMEngine resolves ``pkg::path`` only for the packages of its ``MODULE2PACKAGE`` table. This
adds ``zoo`` to the table when ``mmengine.config.utils`` is first imported; it imports nothing
itself, so start-up costs a list lookup per import.
"""
import importlib.abc
import sys

_TARGET = 'mmengine.config.utils'


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
            exec_module(module)
            module.MODULE2PACKAGE.setdefault('zoo', 'zoo')

        spec.loader.exec_module = exec_and_register
        return spec


if not any(isinstance(f, _ZooConfigScopeFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _ZooConfigScopeFinder())
