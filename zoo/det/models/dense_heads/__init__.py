"""Detection heads of zoo's own detectors (registered by ``import zoo.det``)."""
from .ssd_head import SSDHead
from .yolov1_head import YOLOV1Head

__all__ = ['SSDHead', 'YOLOV1Head']
