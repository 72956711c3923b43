from typing import List, Optional, Sequence, Union

import torch

from zoo.registry import METRICS
from .base_cls_metric import BaseClsMetric
from .confusion_matrix import ConfusionMatrix


@METRICS.register_module()
class Accuracy(BaseClsMetric):
    """Top-k accuracy, in percent.

    Returns ``{'accuracy/top1': float, 'accuracy/top5': float, ...}``, one key a ``k``: the
    share of samples whose class is among the ``k`` highest scores. ``k > 1`` needs
    ``pred_score`` and at least ``k`` classes.

    Args:
        topk: The ``k`` values.
        collect_device: See :class:`BaseClsMetric`.
        prefix: See :class:`BaseClsMetric`.
    """

    default_prefix = 'accuracy'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, ),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(topk, int):
            topk = (topk, )
        if not topk or not all(isinstance(k, int) and k >= 1 for k in topk):
            raise ValueError(f'topk must be a positive int or a sequence of them, got {topk!r}')
        self.topk = tuple(topk)

    def compute_metrics(self, results: List[dict]) -> dict:
        gt_label, pred_score, pred_label, num_classes = self.gather(results, need_num_classes=False)
        metrics = {}
        for k in self.topk:
            if k == 1:
                correct = pred_label == gt_label
            else:
                if pred_score is None:
                    raise ValueError(f'top-{k} accuracy needs pred_score; the predictions '
                                     f'carry pred_label only')
                if k > num_classes:
                    raise ValueError(f'top-{k} accuracy needs at least {k} classes, the '
                                     f'predictions score {num_classes}: lower topk')
                top = pred_score.topk(k, dim=1).indices
                correct = (top == gt_label[:, None]).any(dim=1)
            metrics[f'top{k}'] = correct.float().mean().item() * 100
        return metrics


@METRICS.register_module()
class SingleLabelMetric(BaseClsMetric):
    """Precision, recall, F1-score and support of single-label predictions.

    Per class ``c`` (in percent): precision = TP / predicted as ``c``, recall = TP / truly
    ``c``, F1 = 2PR / (P + R); a ratio whose denominator is 0 counts 0, as scikit-learn's
    ``zero_division=0``. Support is the number of samples of the class.

    Returns ``{'single-label/precision': float, ...}`` averaged over the classes
    (``average='macro'``) or over the samples (``'micro'``: equal to the accuracy), or with
    ``average=None`` one list a metric, ``{'single-label/precision_classwise': [...], ...}``.

    Args:
        items: Which of ``'precision'``, ``'recall'``, ``'f1-score'``, ``'support'``.
        average: ``'macro'``, ``'micro'`` or ``None`` (per class).
        num_classes: See :class:`BaseClsMetric`.
        collect_device: See :class:`BaseClsMetric`.
        prefix: See :class:`BaseClsMetric`.
    """

    default_prefix = 'single-label'
    ITEMS = ('precision', 'recall', 'f1-score', 'support')
    AVERAGES = ('macro', 'micro', None)

    def __init__(self,
                 items: Sequence[str] = ('precision', 'recall', 'f1-score'),
                 average: Optional[str] = 'macro',
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(num_classes=num_classes, collect_device=collect_device, prefix=prefix)
        if isinstance(items, str):
            items = (items, )
        unknown = [item for item in items if item not in self.ITEMS]
        if unknown or not items:
            raise ValueError(f'items must be among {self.ITEMS}, got {tuple(items)!r}')
        if average not in self.AVERAGES:
            raise ValueError(f'average must be one of {self.AVERAGES}, got {average!r}')
        self.items = tuple(items)
        self.average = average

    def compute_metrics(self, results: List[dict]) -> dict:
        gt_label, _, pred_label, num_classes = self.gather(results)
        matrix = ConfusionMatrix.calculate(pred_label, gt_label, num_classes).double()
        true_positive = matrix.diag()
        support = matrix.sum(dim=1)
        if self.average == 'micro':
            # Single-label: every false positive is another class's false negative.
            total = support.sum()
            precision = recall = true_positive.sum() / total * 100
            f1_score = precision
            support = total
        else:
            predicted = matrix.sum(dim=0)
            precision = _safe_divide(true_positive, predicted) * 100
            recall = _safe_divide(true_positive, support) * 100
            f1_score = _safe_divide(2 * precision * recall, precision + recall)
        values = {
            'precision': precision,
            'recall': recall,
            'f1-score': f1_score,
            'support': support
        }
        metrics = {}
        for item in self.items:
            value = values[item]
            if self.average is None:
                metrics[f'{item}_classwise'] = value.tolist()
            elif self.average == 'macro':
                metrics[item] = (value.sum() if item == 'support' else value.mean()).item()
            else:
                metrics[item] = value.item()
        return metrics


def _safe_divide(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator`` with 0 where the denominator is 0 (no NaN)."""
    safe = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
    return torch.where(denominator > 0, numerator / safe, torch.zeros_like(numerator))
