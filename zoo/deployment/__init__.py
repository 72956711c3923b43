"""Deployment: ONNX graphs that take pixels and return answers."""
from .onnx_export import (ExportableClassifier, ExportableDenseDetector, ExportError, Normalize,
                          detection_input_size, export_model, export_onnx, exportable)

__all__ = [
    'ExportableClassifier', 'ExportableDenseDetector', 'ExportError', 'Normalize',
    'detection_input_size', 'export_model', 'export_onnx', 'exportable'
]
