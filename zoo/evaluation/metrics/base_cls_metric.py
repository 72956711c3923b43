from typing import Any, List, Optional, Sequence, Tuple

import torch
from mmengine.evaluator import BaseMetric


class BaseClsMetric(BaseMetric):
    """What the single-label classification metrics share: collecting and checking predictions.

    ``process`` receives the model's predictions as MMEngine's ``Evaluator`` passes them: the
    ``ClsDataSample`` of each image converted to a dict holding ``gt_label`` (1-D ``int64``,
    one element), and ``pred_score`` (1-D float, one probability a class) and/or
    ``pred_label`` (1-D ``int64``).

    Args:
        num_classes: The number of classes. ``None``: the length of ``pred_score``; required
            when the predictions carry labels only.
        collect_device: Where results are gathered across processes, ``'cpu'`` or ``'gpu'``.
        prefix: The prefix of the metric names; ``None`` for the class's ``default_prefix``.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f'num_classes must be a positive int or None, got {num_classes!r}')
        self.num_classes = num_classes

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if sample.get('gt_label') is None:
                raise KeyError(f'{self.__class__.__name__} needs the ground truth "gt_label" of '
                               f'every sample (is the evaluated data set labelled?); got the '
                               f'keys {sorted(sample.keys())}')
            result = dict(gt_label=torch.as_tensor(sample['gt_label']).detach().cpu().view(-1))
            if sample.get('pred_score') is not None:
                result['pred_score'] = torch.as_tensor(sample['pred_score']).detach().cpu()
            elif sample.get('pred_label') is not None:
                result['pred_label'] = torch.as_tensor(sample['pred_label']).detach().cpu().view(-1)
            else:
                raise KeyError(f'{self.__class__.__name__} needs "pred_score" or "pred_label" '
                               f'in every sample; got the keys {sorted(sample.keys())}')
            self.results.append(result)

    def gather(
        self,
        results: List[dict],
        need_num_classes: bool = True
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], torch.Tensor, int]:
        """Stack the collected results.

        Args:
            results: The dicts that :meth:`process` collected.
            need_num_classes: Whether the metric depends on the number of classes; if not,
                labels-only predictions without ``num_classes`` count the classes they name.

        Returns:
            ``(gt_label (N,) int64, pred_score (N, C) float or None, pred_label (N,) int64,
            num_classes)``. ``pred_label`` is the arg-max of ``pred_score`` when scores exist.
        """
        if not results:
            raise ValueError(f'{self.__class__.__name__} got no predictions to evaluate (is the '
                             f'evaluated data set empty?)')
        if any(r['gt_label'].numel() != 1 for r in results):
            raise ValueError(f'{self.__class__.__name__} is a single-label metric: every '
                             f'gt_label must hold exactly one class index')
        gt_label = torch.cat([r['gt_label'] for r in results]).long()
        with_scores = ['pred_score' in r for r in results]
        if all(with_scores):
            pred_score = torch.stack([r['pred_score'] for r in results]).float()
            pred_label = pred_score.argmax(dim=1)
            num_classes = pred_score.shape[1]
            if self.num_classes is not None and self.num_classes != num_classes:
                raise ValueError(f'num_classes={self.num_classes}, but pred_score holds '
                                 f'{num_classes} scores a sample')
        elif not any(with_scores):
            pred_score = None
            pred_label = torch.cat([r['pred_label'] for r in results]).long()
            if self.num_classes is not None:
                num_classes = self.num_classes
            elif need_num_classes:
                raise ValueError(f'{self.__class__.__name__} needs num_classes when the '
                                 f'predictions carry pred_label but no pred_score')
            else:
                num_classes = int(max(gt_label.max(), pred_label.max()).item()) + 1
        else:
            raise ValueError('some predictions carry pred_score and others do not')
        for name, labels in (('gt_label', gt_label), ('pred_label', pred_label)):
            bad = labels[(labels < 0) | (labels >= num_classes)]
            if bad.numel():
                raise ValueError(f'{name} {bad[0].item()} is out of range for {num_classes} '
                                 f'classes')
        return gt_label, pred_score, pred_label, num_classes
