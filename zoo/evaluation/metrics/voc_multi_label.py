from typing import Optional

import torch

from zoo.registry import METRICS
from zoo.structures.cls_data_sample import format_label
from .multi_label import AveragePrecision, MultiLabelMetric


class VOCMetricMixin:
    """The targets of VOC's difficult labels, for :class:`MultiLabelMetric` and
    :class:`AveragePrecision` (mmpretrain's ``VOCMetricMixin``).

    A class that an image has only among its difficult objects (in ``gt_label_difficult``, the
    ``VOC`` data set's field, but not in ``gt_label``) is, with ``difficult_as_positive``:
    ``None`` left out of the evaluation (target ``-1``), ``True`` counted present, ``False``
    counted absent. Each sample needs ``gt_label_difficult``: the test pipeline passes it on
    with ``PackInputs(meta_keys=(..., 'gt_label_difficult'))``.

    Args:
        difficult_as_positive: See above.
        *args: Passed to the metric.
        **kwargs: Passed to the metric.
    """

    def __init__(self, *args, difficult_as_positive: Optional[bool] = None, **kwargs) -> None:
        if difficult_as_positive not in (None, True, False):
            raise ValueError(f'{type(self).__name__}: difficult_as_positive must be None, True '
                             f'or False, got {difficult_as_positive!r}')
        self.difficult_as_positive = difficult_as_positive
        super().__init__(*args, **kwargs)

    def target(self, sample: dict, num_classes: int) -> torch.Tensor:
        target = super().target(sample, num_classes)
        name = type(self).__name__
        for key in ('gt_label', 'gt_label_difficult'):
            if sample.get(key) is None:
                raise KeyError(f"{name} needs each sample's {key!r} (the VOC data set's; add "
                               f"'gt_label_difficult' to PackInputs' meta_keys); got the keys "
                               f'{sorted(sample.keys())}')
        difficult = format_label(sample['gt_label_difficult'])
        bad = difficult[(difficult < 0) | (difficult >= num_classes)]
        if bad.numel():
            raise ValueError(f'{name}: gt_label_difficult {bad[0].item()} is out of range for '
                             f'{num_classes} classes')
        only_difficult = sorted(
            set(difficult.tolist()) - set(format_label(sample['gt_label']).tolist()))
        if self.difficult_as_positive is None:
            target[only_difficult] = -1
        elif self.difficult_as_positive:
            target[only_difficult] = 1
        return target


@METRICS.register_module()
class VOCMultiLabelMetric(VOCMetricMixin, MultiLabelMetric):
    """:class:`MultiLabelMetric` with VOC's difficult labels (see :class:`VOCMetricMixin`).

    Args:
        difficult_as_positive: See :class:`VOCMetricMixin`.
        **kwargs: ``thr``, ``topk``, ``items``, ``average``... of :class:`MultiLabelMetric`.
    """


@METRICS.register_module()
class VOCAveragePrecision(VOCMetricMixin, AveragePrecision):
    """:class:`AveragePrecision` with VOC's difficult labels (see :class:`VOCMetricMixin`).

    Args:
        difficult_as_positive: See :class:`VOCMetricMixin`.
        **kwargs: ``average``... of :class:`AveragePrecision`.
    """
