"""Detection heads of the zoo's own detectors.

Imports mmdet (and mmcv's compiled ops, for NMS), so it is not part of ``zoo.models``' default
imports, which classification uses; a detection config pulls it in with
``custom_imports=dict(imports=['zoo', 'zoo.models.detectors'])`` (the detectors import it).
"""
from .ssd_head import SSDHead
from .yolov1_head import YOLOV1Head

__all__ = ['SSDHead', 'YOLOV1Head']
