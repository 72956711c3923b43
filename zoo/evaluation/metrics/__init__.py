from .base_cls_metric import BaseClsMetric
from .confusion_matrix import ConfusionMatrix
from .single_label import Accuracy, SingleLabelMetric

__all__ = ['BaseClsMetric', 'Accuracy', 'SingleLabelMetric', 'ConfusionMatrix']
