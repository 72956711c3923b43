"""zoo's own detectors, built on mmdet's detector classes (registered by ``import zoo.det``)."""
from .yolov1 import YOLOV1

__all__ = ['YOLOV1']
