"""zoo's own detection heads and detectors, built on mmdet's classes."""
from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
