from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from zoo.registry import METRICS
from zoo.structures.cls_data_sample import format_label

ArrayLike = Union[torch.Tensor, np.ndarray, Sequence]


class BaseMultiLabelMetric(BaseMetric):
    """What the multi-label metrics share: collecting scores and 0/1 targets.

    ``process`` receives each image's ``ClsDataSample`` as a dict (as MMEngine's ``Evaluator``
    passes it) holding ``pred_score`` (1-D float, one independent score a class) and the ground
    truth as ``gt_score`` (0/1 a class: what ``ClsDataPreprocessor(to_onehot=True)`` sets) or,
    without it, ``gt_label`` (the indices of the classes present).

    Args:
        collect_device: Where results are gathered across processes, ``'cpu'`` or ``'gpu'``.
        prefix: The prefix of the metric names; ``None`` for ``'multi-label'``.
    """

    default_prefix: Optional[str] = 'multi-label'

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if sample.get('pred_score') is None:
                raise KeyError(f'{type(self).__name__} needs "pred_score" in every sample; got '
                               f'the keys {sorted(sample.keys())}')
            score = torch.as_tensor(sample['pred_score']).detach().cpu().clone()
            if score.ndim != 1:
                raise ValueError(f'{type(self).__name__}: pred_score must be 1-D (one score a '
                                 f'class), got shape {tuple(score.shape)}')
            self.results.append(dict(pred_score=score, gt_score=self.target(sample, len(score))))

    def target(self, sample: dict, num_classes: int) -> torch.Tensor:
        """The ``(num_classes, )`` ``int64`` target of one sample: 1 for a class present, 0
        for one absent (a subclass may mark classes ``-1``: left out of the evaluation)."""
        name = type(self).__name__
        if sample.get('gt_score') is not None:
            # a copy: a VOC metric marks difficult labels in it, and the evaluator's next
            # metric reads the same sample
            target = torch.as_tensor(sample['gt_score']).detach().cpu().clone()
            if target.shape != (num_classes, ):
                raise ValueError(f'{name}: gt_score has shape {tuple(target.shape)}, pred_score '
                                 f'({num_classes}, )')
            if not ((target == 0) | (target == 1)).all():
                raise ValueError(f'{name}: gt_score must be 0 or 1 for each class (a mixed or '
                                 f'smoothed target cannot be evaluated), got {target.tolist()}')
            return target.long()
        if sample.get('gt_label') is None:
            raise KeyError(f'{name} needs the ground truth "gt_score" or "gt_label" of every '
                           f'sample (is the evaluated data set labelled?); got the keys '
                           f'{sorted(sample.keys())}')
        return _onehot(sample['gt_label'], num_classes, f'{name}: gt_label')

    def gather(self, results: List[dict]) -> Tuple[torch.Tensor, torch.Tensor]:
        """The stacked ``pred_score`` ``(N, C)`` and targets ``(N, C)`` of ``results``."""
        if not results:
            raise ValueError(f'{type(self).__name__} got no predictions to evaluate (is the '
                             f'evaluated data set empty?)')
        lengths = sorted({len(r['pred_score']) for r in results})
        if len(lengths) > 1:
            raise ValueError(f'{type(self).__name__}: the samples score different numbers of '
                             f'classes: {lengths}')
        pred = torch.stack([r['pred_score'] for r in results])
        target = torch.stack([r['gt_score'] for r in results])
        return pred, target


@METRICS.register_module()
class MultiLabelMetric(BaseMultiLabelMetric):
    """Precision, recall, F1-score and support of multi-label predictions, as mmpretrain's.

    A class is predicted present when its score is at least ``thr``, or, with ``topk`` (and no
    ``thr``), when it is among the ``topk`` highest; neither given: ``thr=0.5``. Per class, in
    percent: precision = TP / max(predicted, 1), recall = TP / max(present, 1), F1 =
    2PR / (P + R) (0 when both are 0); support counts the (sample, class) pairs present.
    ``average='macro'`` averages the classes, ``'micro'`` pools the pairs of all classes,
    ``None`` gives one value a class. Targets of ``-1`` (VOC's difficult labels) are left out.

    Keys (mmpretrain's): ``multi-label/<item><rule><average>`` with ``<rule>`` ``''`` for
    ``thr=0.5``, ``_thr-0.30`` for another threshold, ``_top3`` for ``topk=3``, and
    ``<average>`` ``''`` (macro), ``_micro`` or ``_classwise`` (a list), e.g.
    ``multi-label/precision``, ``multi-label/f1-score_top1_micro``. One deviation: mmpretrain
    names ``thr=0`` ``_topNone`` (its test of ``thr`` is a truth test); zoo names it
    ``_thr-0.00``.

    Args:
        thr: The score threshold of a positive class.
        topk: The number of classes predicted present in each sample, when ``thr`` is None.
        items: Which of ``'precision'``, ``'recall'``, ``'f1-score'``, ``'support'``.
        average: ``'macro'``, ``'micro'`` or ``None`` (per class).
        collect_device: See :class:`BaseMultiLabelMetric`.
        prefix: See :class:`BaseMultiLabelMetric`.
    """

    ITEMS = ('precision', 'recall', 'f1-score', 'support')
    AVERAGES = ('macro', 'micro', None)

    def __init__(self,
                 thr: Optional[float] = None,
                 topk: Optional[int] = None,
                 items: Sequence[str] = ('precision', 'recall', 'f1-score'),
                 average: Optional[str] = 'macro',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        name = type(self).__name__
        logger = MMLogger.get_current_instance()
        if thr is None and topk is None:
            thr = 0.5
            logger.warning('Neither thr nor k is given, set thr as 0.5 by default.')
        elif thr is not None and topk is not None:
            logger.warning('Both thr and topk are given, use threshold in favor of top-k.')
        if thr is None and (not isinstance(topk, int) or topk < 1):
            raise ValueError(f'{name}: topk must be a positive int, got {topk!r}')
        if isinstance(items, str):
            items = (items, )
        unknown = [item for item in items if item not in self.ITEMS]
        if unknown or not items:
            raise ValueError(f'{name}: items must be among {self.ITEMS}, got {tuple(items)!r}')
        if average not in self.AVERAGES:
            raise ValueError(f'{name}: average must be one of {self.AVERAGES}, got {average!r}')
        self.thr = thr
        self.topk = topk
        self.items = tuple(items)
        self.average = average

    def compute_metrics(self, results: List[dict]) -> dict:
        pred, target = self.gather(results)
        values = dict(
            zip(self.ITEMS,
                self.calculate(pred, target, average=self.average, thr=self.thr, topk=self.topk)))
        if self.thr is not None:
            rule = '' if self.thr == 0.5 else f'_thr-{self.thr:.2f}'
        else:
            rule = f'_top{self.topk}'
        metrics = {}
        for item in self.items:
            if self.average is None:
                metrics[f'{item}{rule}_classwise'] = values[item].tolist()
            elif self.average == 'macro':
                metrics[f'{item}{rule}'] = values[item].item()
            else:
                metrics[f'{item}{rule}_{self.average}'] = values[item].item()
        return metrics

    @staticmethod
    def calculate(pred: ArrayLike,
                  target: ArrayLike,
                  pred_indices: bool = False,
                  target_indices: bool = False,
                  average: Optional[str] = 'macro',
                  thr: Optional[float] = None,
                  topk: Optional[int] = None,
                  num_classes: Optional[int] = None) -> Tuple[torch.Tensor, ...]:
        """Precision, recall, F1-score and support (mmpretrain's ``calculate``).

        Args:
            pred: Scores or 0/1 predictions ``(N, C)``, or with ``pred_indices`` a sequence of
                each sample's predicted class indices.
            target: 0/1 (or ``-1``: left out) targets ``(N, C)``, or with ``target_indices``
                a sequence of each sample's class indices.
            pred_indices: See ``pred``.
            target_indices: See ``target``.
            average: ``'macro'``, ``'micro'`` or ``None``.
            thr: See :class:`MultiLabelMetric` (``0.5`` when neither it nor ``topk`` is given).
            topk: See :class:`MultiLabelMetric`.
            num_classes: The number of classes; required for indices.

        Returns:
            ``(precision, recall, f1_score, support)``: 0-D tensors, or ``(C, )`` for
            ``average=None``.
        """
        if average not in MultiLabelMetric.AVERAGES:
            raise ValueError(f'average must be one of {MultiLabelMetric.AVERAGES}, got '
                             f'{average!r}')
        pred = _as_matrix(pred, pred_indices, num_classes, 'pred')
        target = _as_matrix(target, target_indices, num_classes, 'target').long()
        if pred.shape != target.shape:
            raise ValueError(f'pred has shape {tuple(pred.shape)}, target '
                             f'{tuple(target.shape)}')
        if num_classes is not None and pred.shape[1] != num_classes:
            raise ValueError(f'pred scores {pred.shape[1]} classes, num_classes={num_classes}')
        if thr is None and topk is None:
            thr = 0.5
        if thr is not None:
            positive = (pred >= thr).long()
        else:
            if topk > pred.shape[1]:
                raise ValueError(f'topk={topk} is more than the {pred.shape[1]} classes')
            positive = torch.zeros_like(pred).scatter_(1, pred.topk(topk).indices, 1).long()
        return _precision_recall_f1_support(positive, target, average)


@METRICS.register_module()
class AveragePrecision(BaseMultiLabelMetric):
    """Average precision of each class over the samples ranked by score, as mmpretrain's.

    AP = the mean, over the samples where the class is present, of the precision among the
    samples ranked at or above it (no interpolation), in percent; 0 for a class present
    nowhere. Targets of ``-1`` (VOC's difficult labels) are left out.

    Returns ``{'multi-label/mAP': float}`` (``average='macro'``, the mean over the classes) or
    ``{'multi-label/AP_classwise': [...]}`` (``average=None``).

    Args:
        average: ``'macro'`` or ``None``.
        collect_device: See :class:`BaseMultiLabelMetric`.
        prefix: See :class:`BaseMultiLabelMetric`.
    """

    AVERAGES = ('macro', None)

    def __init__(self,
                 average: Optional[str] = 'macro',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if average not in self.AVERAGES:
            raise ValueError(f'{type(self).__name__}: average must be one of {self.AVERAGES}, '
                             f'got {average!r}')
        self.average = average

    def compute_metrics(self, results: List[dict]) -> dict:
        ap = self.calculate(*self.gather(results), average=self.average)
        if self.average is None:
            return dict(AP_classwise=ap.tolist())
        return dict(mAP=ap.item())

    @staticmethod
    def calculate(pred: Union[torch.Tensor, np.ndarray],
                  target: Union[torch.Tensor, np.ndarray],
                  average: Optional[str] = 'macro') -> torch.Tensor:
        """The AP of each class ``(C, )`` (``average=None``) or their mean, in percent, of
        scores ``pred`` ``(N, C)`` and 0/1 (or ``-1``: left out) targets ``target``."""
        if average not in AveragePrecision.AVERAGES:
            raise ValueError(f'average must be one of {AveragePrecision.AVERAGES}, got '
                             f'{average!r}')
        pred = _as_matrix(pred, False, None, 'pred')
        target = _as_matrix(target, False, None, 'target')
        if pred.shape != target.shape:
            raise ValueError(f'pred has shape {tuple(pred.shape)}, target '
                             f'{tuple(target.shape)}')
        ap = pred.new_zeros(pred.shape[1])
        for k in range(pred.shape[1]):
            ap[k] = _average_precision(pred[:, k], target[:, k])
        return ap.mean() * 100.0 if average == 'macro' else ap * 100


def _onehot(label: Any, num_classes: int, what: str) -> torch.Tensor:
    """The ``(num_classes, )`` ``int64`` 0/1 vector of class indices ``label``."""
    label = format_label(label)
    bad = label[(label < 0) | (label >= num_classes)]
    if bad.numel():
        raise ValueError(f'{what} {bad[0].item()} is out of range for {num_classes} classes')
    onehot = torch.zeros(num_classes, dtype=torch.int64)
    onehot[label] = 1
    return onehot


def _as_matrix(value: ArrayLike, indices: bool, num_classes: Optional[int],
               what: str) -> torch.Tensor:
    """``value`` as an ``(N, C)`` tensor: a tensor, an array, a sequence of rows or, with
    ``indices``, a sequence of each sample's class indices."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif not isinstance(value, torch.Tensor):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f'{what} must be a tensor, an array or a sequence, got '
                            f'{type(value).__name__}')
        if indices:
            if num_classes is None:
                raise ValueError(f'{what} holds class indices: give num_classes')
            value = torch.stack([_onehot(v, num_classes, what) for v in value])
        else:
            value = torch.stack([torch.as_tensor(v) for v in value])
    if value.ndim != 2:
        raise ValueError(f'{what} must have shape (N, num_classes), got {tuple(value.shape)}')
    return value


def _precision_recall_f1_support(positive: torch.Tensor, target: torch.Tensor,
                                 average: Optional[str]) -> Tuple[torch.Tensor, ...]:
    """mmpretrain's arithmetic (float32, the same order), so the figures agree to the bit."""
    ignored = target == -1
    positive = positive.masked_fill(ignored, 0)
    target = target.masked_fill(ignored, 0)
    correct = positive & target
    if average == 'micro':
        tp_sum, pred_sum, gt_sum = correct.sum(), positive.sum(), target.sum()
    else:
        tp_sum, pred_sum, gt_sum = correct.sum(0), positive.sum(0), target.sum(0)
    precision = tp_sum / torch.clamp(pred_sum, min=1).float() * 100
    recall = tp_sum / torch.clamp(gt_sum, min=1).float() * 100
    f1_score = 2 * precision * recall / torch.clamp(
        precision + recall, min=torch.finfo(torch.float32).eps)
    if average is None:
        return precision, recall, f1_score, gt_sum
    return precision.mean(0), recall.mean(0), f1_score.mean(0), gt_sum.sum(0)


def _average_precision(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The AP of one class: scores ``pred`` ``(N, )``, targets ``(N, )`` (``-1`` left out).

    Ranked as mmpretrain ranks (``argsort(descending=True)``), so tied scores order alike.
    """
    valid = target > -1
    pred, target = pred[valid], target[valid]
    if not len(pred):
        return pred.new_zeros(())
    order = torch.argsort(pred, dim=0, descending=True)
    positive = target[order] == 1
    true_positives = torch.cumsum(positive, 0)
    num_positive = true_positives[-1].item()
    ranks = torch.arange(1, len(order) + 1)
    true_positives[~positive] = 0
    precision = true_positives / ranks.float()
    return torch.sum(precision, 0) / max(num_positive, torch.finfo(torch.float32).eps)
