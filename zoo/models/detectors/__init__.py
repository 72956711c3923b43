"""The zoo's own detectors, built on mmdet's detector classes.

They import mmdet (and mmcv's compiled ops, for NMS), so they are not among ``zoo.models``'
default imports, which classification uses and which must run where mmdet is absent. A
detection config pulls them in explicitly::

    custom_imports = dict(imports=['zoo', 'zoo.models.detectors'], allow_failed_imports=False)

Importing this package also registers the heads in :mod:`zoo.models.dense_heads`.
"""
from zoo.models import dense_heads  # noqa: F401  (registers the heads these detectors use)
from .yolov1 import YOLOV1

__all__ = ['YOLOV1']
