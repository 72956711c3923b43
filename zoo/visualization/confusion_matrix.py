from typing import Optional, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from .figure import create_figure


def plot_confusion_matrix(matrix: torch.Tensor,
                          classes: Optional[Sequence[str]] = None,
                          normalize: bool = False,
                          title: str = 'Confusion matrix',
                          cmap: str = 'viridis') -> Figure:
    """The confusion matrix (rows: ground truth, columns: prediction, as
    :class:`zoo.evaluation.ConfusionMatrix` computes it) as a coloured grid with every count
    written in its cell.

    Args:
        matrix: ``(num_classes, num_classes)`` counts.
        classes: Class names for the axes (default: the indices).
        normalize: Colour and write each row as fractions of its ground-truth class.
        title: The figure's title.
        cmap: A matplotlib colour map.

    Returns:
        The figure, ``max(5, 0.6 * num_classes + 2)`` inches square at 100 dpi.
    """
    matrix = torch.as_tensor(matrix).double().numpy()
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f'a confusion matrix must be square, got shape {matrix.shape}')
    num_classes = len(matrix)
    names = [str(c) for c in (classes if classes is not None else range(num_classes))]
    if len(names) != num_classes:
        raise ValueError(f'{len(names)} class names for a {num_classes}-class matrix')
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)

    side = max(5.0, 0.6 * num_classes + 2)
    figure = create_figure((side, side))
    ax = figure.add_subplot()
    image = ax.imshow(matrix, cmap=cmap, vmin=0)
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    ax.set_xlabel('Prediction')
    ax.set_ylabel('Ground truth')
    ax.set_xticks(range(num_classes), names, rotation=45, ha='right')
    ax.set_yticks(range(num_classes), names)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            f'{value:.2f}' if normalize else f'{int(value)}',
            ha='center',
            va='center',
            fontsize=8,
            color='black' if value > threshold else 'white')
    figure.tight_layout()
    return figure
