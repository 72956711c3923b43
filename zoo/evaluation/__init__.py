from .metrics import Accuracy, BaseClsMetric, ConfusionMatrix, SingleLabelMetric

__all__ = ['BaseClsMetric', 'Accuracy', 'SingleLabelMetric', 'ConfusionMatrix']
