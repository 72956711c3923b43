"""Detection datasets (they import mmdet, and with it mmcv's compiled ops).

Not imported by ``zoo.datasets``, so that the classification path stays free of mmdet: a
detection config imports it explicitly, beside ``zoo``::

    custom_imports = dict(imports=['zoo', 'zoo.det'], allow_failed_imports=False)
    train_dataloader = dict(dataset=dict(type='zoo.YOLODataset', data_root='data/shapes/yolo/',
                                         ann_file='train.txt', ...))
"""
from .coco import CocoDataset
from .utils import build_det_transforms
from .voc import VOCDataset
from .yolo import YOLODataset

__all__ = ['YOLODataset', 'CocoDataset', 'VOCDataset', 'build_det_transforms']
