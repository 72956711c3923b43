"""Pictures: the classification visualizer and the plots the analysis tools write.

Nothing here imports mmdet: detection pictures read pycocotools' or mmdet's evaluation
results, which the tools compute.
"""
from .cam import default_target_layer, grad_cam
from .confusion_matrix import plot_confusion_matrix
from .figure import create_figure, save_png
from .pr_curve import PRCurve, ap_table, area_under, coco_pr_curves, plot_pr_curves, voc_pr_curves
from .universal_visualizer import UniversalVisualizer

__all__ = [
    'UniversalVisualizer', 'plot_confusion_matrix', 'create_figure', 'save_png', 'PRCurve',
    'coco_pr_curves', 'voc_pr_curves', 'plot_pr_curves', 'area_under', 'ap_table', 'grad_cam',
    'default_target_layer'
]
