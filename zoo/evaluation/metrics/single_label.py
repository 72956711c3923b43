from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from zoo.registry import METRICS
from .base_cls_metric import BaseClsMetric

Thresholds = Union[float, None, Sequence[Optional[float]]]


def threshold_tuple(thrs: Thresholds) -> Tuple[Optional[float], ...]:
    """mmpretrain's ``thrs``: a float, ``None`` (no threshold) or a sequence of them."""
    return (thrs, ) if thrs is None or isinstance(thrs, (int, float)) else tuple(thrs)


def threshold_suffix(thr: Optional[float], thrs: Sequence[Optional[float]]) -> str:
    """The key suffix of one threshold: none when there is only one (mmpretrain's names)."""
    if len(thrs) == 1:
        return ''
    return '_no-thr' if thr is None else f'_thr-{thr:.2f}'


@METRICS.register_module()
class Accuracy(BaseClsMetric):
    """Top-k accuracy, in percent.

    Returns ``{'accuracy/top1': float, 'accuracy/top5': float, ...}``, one key a ``k``: the
    share of samples whose class is among the ``k`` highest scores, counting only scores above
    the threshold (mmpretrain's ``thrs``; with several, each key ends ``_thr-0.50`` or
    ``_no-thr``). ``k > 1`` needs ``pred_score`` and at least ``k`` classes.

    Args:
        topk: The ``k`` values.
        thrs: A score threshold (``None``: none), or several; predictions scoring no more
            than it count as wrong. Used with ``pred_score`` only, as mmpretrain's.
        collect_device: See :class:`BaseClsMetric`.
        prefix: See :class:`BaseClsMetric`.
    """

    default_prefix = 'accuracy'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, ),
                 thrs: Thresholds = 0.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(topk, int):
            topk = (topk, )
        if not topk or not all(isinstance(k, int) and k >= 1 for k in topk):
            raise ValueError(f'topk must be a positive int or a sequence of them, got {topk!r}')
        self.topk = tuple(topk)
        self.thrs = threshold_tuple(thrs)

    def compute_metrics(self, results: List[dict]) -> dict:
        gt_label, pred_score, pred_label, num_classes = self.gather(results, need_num_classes=False)
        if pred_score is None:
            if max(self.topk) > 1:
                raise ValueError(f'top-{max(self.topk)} accuracy needs pred_score; the '
                                 f'predictions carry pred_label only')
            return {'top1': (pred_label == gt_label).float().mean().item() * 100}
        if max(self.topk) > num_classes:
            raise ValueError(f'top-{max(self.topk)} accuracy needs at least {max(self.topk)} '
                             f'classes, the predictions score {num_classes}: lower topk')
        top_score, top_label = pred_score.topk(max(self.topk), dim=1)
        hit = top_label == gt_label[:, None]
        metrics = {}
        for k in self.topk:
            for thr in self.thrs:
                correct = hit if thr is None else hit & (top_score > thr)
                name = f'top{k}' + threshold_suffix(thr, self.thrs)
                metrics[name] = correct[:, :k].any(dim=1).float().mean().item() * 100
        return metrics


@METRICS.register_module()
class SingleLabelMetric(BaseClsMetric):
    """Precision, recall, F1-score and support of single-label predictions.

    Per class ``c`` (in percent): precision = TP / predicted as ``c``, recall = TP / truly
    ``c``, F1 = 2PR / (P + R); a ratio whose denominator is 0 counts 0, as scikit-learn's
    ``zero_division=0``. Support is the number of samples of the class. A prediction whose
    score is no more than the threshold predicts no class (mmpretrain's ``thrs``).

    Returns mmpretrain's keys: ``{'single-label/precision': float, ...}`` averaged over the
    classes (``average='macro'``), ``{'single-label/precision_micro': float, ...}`` from the
    summed counts (``'micro'``: the accuracy, without a threshold), or one list a metric,
    ``{'single-label/precision_classwise': [...], ...}`` (``None``); with several thresholds,
    each key gets ``_thr-0.50`` / ``_no-thr`` before that suffix.

    Args:
        items: Which of ``'precision'``, ``'recall'``, ``'f1-score'``, ``'support'``.
        average: ``'macro'``, ``'micro'`` or ``None`` (per class).
        thrs: A score threshold (``None``: none), or several; used with ``pred_score`` only.
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
                 thrs: Thresholds = 0.,
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
        self.thrs = threshold_tuple(thrs)

    def compute_metrics(self, results: List[dict]) -> dict:
        gt_label, pred_score, pred_label, num_classes = self.gather(results)
        truth = F.one_hot(gt_label, num_classes).bool()
        predicted = F.one_hot(pred_label, num_classes).bool()
        if pred_score is None:
            return self._pack(truth, predicted, '')
        top_score = pred_score.max(dim=1).values
        metrics = {}
        for thr in self.thrs:
            kept = predicted if thr is None else predicted & (top_score > thr)[:, None]
            metrics.update(self._pack(truth, kept, threshold_suffix(thr, self.thrs)))
        return metrics

    def _pack(self, truth: torch.Tensor, predicted: torch.Tensor, suffix: str) -> dict:
        """The items from the one-hot truth and predictions ``(N, C)``, under mmpretrain's
        keys (``suffix``, then ``_micro`` / ``_classwise``)."""
        dims = None if self.average == 'micro' else 0  # micro: sum the counts of all classes
        true_positive = (truth & predicted).sum(dim=dims).double()
        support = truth.sum(dim=dims).double()
        precision = _safe_divide(true_positive, predicted.sum(dim=dims).double()) * 100
        recall = _safe_divide(true_positive, support) * 100
        f1_score = _safe_divide(2 * precision * recall, precision + recall)
        values = dict(precision=precision, recall=recall, support=support)
        values['f1-score'] = f1_score
        metrics = {}
        for item in self.items:
            value = values[item]
            if self.average is None:
                metrics[f'{item}{suffix}_classwise'] = value.tolist()
            elif self.average == 'macro':
                metrics[item + suffix] = (value.sum() if item == 'support' else value.mean()).item()
            else:
                metrics[f'{item}{suffix}_micro'] = value.item()
        return metrics


def _safe_divide(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator`` with 0 where the denominator is 0 (no NaN)."""
    safe = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
    return torch.where(denominator > 0, numerator / safe, torch.zeros_like(numerator))
