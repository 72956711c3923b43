from .base_cls_metric import BaseClsMetric
from .confusion_matrix import ConfusionMatrix
from .multi_label import AveragePrecision, BaseMultiLabelMetric, MultiLabelMetric
from .single_label import Accuracy, SingleLabelMetric
from .voc_multi_label import VOCAveragePrecision, VOCMetricMixin, VOCMultiLabelMetric

__all__ = ['BaseClsMetric', 'Accuracy', 'SingleLabelMetric', 'ConfusionMatrix']
__all__ += [
    'BaseMultiLabelMetric', 'MultiLabelMetric', 'AveragePrecision', 'VOCMetricMixin',
    'VOCMultiLabelMetric', 'VOCAveragePrecision'
]
