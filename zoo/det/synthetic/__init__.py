"""Synthetic data sets generated on the fly, for tests and demos (no downloads)."""
from .shapes import (SHAPE_CLASSES, ShapesSample, draw_shapes_sample, generate_shapes,
                     make_shapes_dataset, read_manifest)

__all__ = [
    'SHAPE_CLASSES', 'ShapesSample', 'draw_shapes_sample', 'generate_shapes', 'make_shapes_dataset',
    'read_manifest'
]
