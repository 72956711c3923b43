from .metrics import (Accuracy, AveragePrecision, BaseClsMetric, BaseMultiLabelMetric,
                      ConfusionMatrix, MultiLabelMetric, SingleLabelMetric, VOCAveragePrecision,
                      VOCMultiLabelMetric)

__all__ = ['BaseClsMetric', 'Accuracy', 'SingleLabelMetric', 'ConfusionMatrix']
__all__ += [
    'BaseMultiLabelMetric', 'MultiLabelMetric', 'AveragePrecision', 'VOCMultiLabelMetric',
    'VOCAveragePrecision'
]
