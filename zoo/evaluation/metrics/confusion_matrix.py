from typing import List, Optional, Sequence

import torch

from zoo.registry import METRICS
from .base_cls_metric import BaseClsMetric


@METRICS.register_module()
class ConfusionMatrix(BaseClsMetric):
    """The confusion matrix of single-label predictions.

    Returns ``{'confusion_matrix/result': <int64 tensor (num_classes, num_classes)>}`` whose
    row ``i``, column ``j`` counts the samples of class ``i`` predicted as class ``j`` (rows:
    ground truth, columns: prediction, as ``sklearn.metrics.confusion_matrix``).
    :meth:`to_text` lays it out as a table.

    Args:
        num_classes: See :class:`BaseClsMetric`.
        collect_device: See :class:`BaseClsMetric`.
        prefix: See :class:`BaseClsMetric`.
    """

    default_prefix = 'confusion_matrix'

    def compute_metrics(self, results: List[dict]) -> dict:
        gt_label, _, pred_label, num_classes = self.gather(results)
        return dict(result=self.calculate(pred_label, gt_label, num_classes))

    @staticmethod
    def calculate(pred_label: torch.Tensor, gt_label: torch.Tensor,
                  num_classes: int) -> torch.Tensor:
        """The ``(num_classes, num_classes)`` ``int64`` matrix of ``(N,)`` label tensors."""
        pred_label = torch.as_tensor(pred_label).long().view(-1)
        gt_label = torch.as_tensor(gt_label).long().view(-1)
        if pred_label.shape != gt_label.shape:
            raise ValueError(f'pred_label and gt_label differ in length: '
                             f'{pred_label.numel()} != {gt_label.numel()}')
        counts = torch.bincount(
            gt_label * num_classes + pred_label, minlength=num_classes * num_classes)
        return counts.view(num_classes, num_classes)

    @staticmethod
    def to_text(matrix: torch.Tensor, classes: Optional[Sequence[str]] = None) -> str:
        """The matrix as a text table, rows labelled with the ground-truth class."""
        matrix = torch.as_tensor(matrix)
        names = [str(c) for c in (classes if classes is not None else range(len(matrix)))]
        if len(names) != len(matrix):
            raise ValueError(f'{len(names)} class names for a {len(matrix)}-class matrix')
        width = max(
            max(len(n) for n in names),
            len(str(int(matrix.max()))) if matrix.numel() else 1)
        header = ' ' * width + ' | ' + ' '.join(n.rjust(width) for n in names)
        lines = ['rows: ground truth, columns: prediction', header, '-' * len(header)]
        for name, row in zip(names, matrix.tolist()):
            lines.append(name.rjust(width) + ' | ' + ' '.join(str(v).rjust(width) for v in row))
        return '\n'.join(lines)
