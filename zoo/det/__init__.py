"""Detection: the one place in zoo that imports mmdet.

Everything under ``zoo/det/`` may import mmdet (and through it ``mmcv.ops``); nothing outside it
does, so the classification path (``zoo.models``, ``zoo.datasets``, ``zoo.engine``,
``zoo.evaluation``) runs where mmdet is absent. zoo's backbones, FPN and losses live in
``zoo.models`` because they are plain PyTorch: mmdet configs use them as ``type='zoo.X'``.

A detection config registers zoo's own detection components (the YOLOv1 detector and head, the
fixed SSD head, the YOLO/COCO/VOC datasets) by importing this package::

    custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)

Sub-packages: ``datasets`` (mmdet datasets), ``models`` (heads and detectors), ``formats``
(COCO/VOC/YOLO annotation files: read, check, write), ``synthetic`` (the shapes data set).
"""
from . import datasets, models  # noqa: F401  (register the components)
