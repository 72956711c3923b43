"""Per-class precision-recall curves and their AP, as a picture, from the COCO and VOC
evaluations.

A detector's detections of one class, sorted by score, give a precision and a recall after
each detection; the curve's precision envelope (at each recall, the best precision reached at
that recall or beyond) is what both evaluations integrate: AP is the area under it.

* COCO (pycocotools' ``COCOeval``): ``eval['precision']`` holds the envelope sampled at 101
  recall points ``0, 0.01, ..., 1`` (``-1`` where a class has no ground truth), and AP is their
  mean; ``coco_pr_curves`` reads it for one IoU threshold or averaged over all ten.
* VOC (mmdet's ``eval_map``): every class's raw ``recall`` and ``precision`` after each
  detection, and ``ap``, the exact area under the envelope (``mode='area'``, VOC2010+) or the
  11-point mean (``'11points'``, VOC2007); ``voc_pr_curves`` makes the envelope of them.

This module needs neither mmdet nor a model: it reads the evaluations' results.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from .figure import create_figure


@dataclass
class PRCurve:
    """One class's precision-recall curve.

    Attributes:
        name: The class.
        recall: Increasing recall values.
        precision: The precision at each, the envelope (non-increasing).
        ap: The AP the evaluation reports for the class (``nan`` without ground truth).
        raw_recall: Recall after each detection (VOC), drawn beneath the envelope.
        raw_precision: Precision after each detection (VOC).
    """
    name: str
    recall: np.ndarray
    precision: np.ndarray
    ap: float
    raw_recall: Optional[np.ndarray] = None
    raw_precision: Optional[np.ndarray] = None


def coco_pr_curves(coco_eval,
                   iou_thr: Optional[float] = 0.5,
                   area: str = 'all',
                   max_dets: Optional[int] = None) -> List[PRCurve]:
    """The curves of an evaluated and accumulated ``COCOeval`` (``evaluate(); accumulate()``).

    Args:
        coco_eval: ``pycocotools.cocoeval.COCOeval`` after ``accumulate()``.
        iou_thr: One of ``params.iouThrs`` (0.5, 0.55, ..., 0.95), or ``None`` for the mean
            over all of them (COCO's AP@[.5:.95]).
        area: One of ``params.areaRngLbl`` (``'all'``, ``'small'``, ``'medium'``, ``'large'``).
        max_dets: One of ``params.maxDets`` (default: the largest, 100).

    Returns:
        One curve a category, in ``params.catIds`` order; each AP is the mean of its 101
        precisions, as ``COCOeval.summarize`` computes it (its mean over classes is
        ``stats[1]`` at IoU 0.5 and ``stats[0]`` averaged).
    """
    if not coco_eval.eval:
        raise ValueError('COCOeval has no results: call evaluate() and accumulate() first')
    params = coco_eval.params
    precision = coco_eval.eval['precision']  # (T IoUs, R recalls, K classes, A areas, M dets)
    if iou_thr is not None:
        matches = np.where(np.isclose(params.iouThrs, iou_thr))[0]
        if not len(matches):
            raise ValueError(f'IoU threshold {iou_thr} is not one of COCOeval\'s '
                             f'{params.iouThrs.round(2).tolist()}')
        precision = precision[matches]
    if area not in params.areaRngLbl:
        raise ValueError(f'area {area!r} is not one of {params.areaRngLbl}')
    max_dets = params.maxDets[-1] if max_dets is None else max_dets
    if max_dets not in params.maxDets:
        raise ValueError(f'max_dets {max_dets} is not one of {params.maxDets}')
    precision = precision[:, :, :, params.areaRngLbl.index(area), params.maxDets.index(max_dets)]

    names = {cat['id']: cat['name'] for cat in coco_eval.cocoGt.loadCats(params.catIds)}
    curves = []
    for k, cat_id in enumerate(params.catIds):
        per_iou = precision[:, :, k]  # (T, R); -1 everywhere if the class has no ground truth
        if (per_iou == -1).all():
            curve, ap = np.zeros(len(params.recThrs)), float('nan')
        else:
            curve = np.where(per_iou > -1, per_iou, 0).mean(axis=0)
            ap = float(per_iou[per_iou > -1].mean())
        curves.append(PRCurve(names[cat_id], np.asarray(params.recThrs), curve, ap))
    return curves


def voc_pr_curves(eval_results: Sequence[dict], classes: Sequence[str]) -> List[PRCurve]:
    """The curves of mmdet's ``eval_map(...)[1]`` (one dict a class with ``recall``,
    ``precision``, ``ap``, ``num_gts``) for one area range.

    The envelope is the one mmdet's ``average_precision(mode='area')`` integrates, so the
    area under each curve is its ``ap`` in that mode.
    """
    if len(eval_results) != len(classes):
        raise ValueError(f'{len(eval_results)} per-class results for {len(classes)} classes')
    curves = []
    for name, result in zip(classes, eval_results):
        recall = np.asarray(result['recall'], dtype=np.float64).reshape(-1)
        precision = np.asarray(result['precision'], dtype=np.float64).reshape(-1)
        ap = float(result['ap']) if result['num_gts'] else float('nan')
        # mmdet's envelope: pad with recall 0 and 1 at precision 0, then carry the best later
        # precision back to every earlier recall.
        env_recall = np.concatenate([[0.0], recall, [1.0]])
        env_precision = np.maximum.accumulate(np.concatenate([[0.0], precision, [0.0]])[::-1])[::-1]
        curves.append(PRCurve(name, env_recall, env_precision, ap, recall, precision))
    return curves


def area_under(curve: PRCurve) -> float:
    """The area under the curve's envelope: a right-continuous step function of recall
    (``sum((r[i+1] - r[i]) * p[i+1])``, mmdet's ``'area'`` AP); for COCO's 101 points their
    mean, the AP pycocotools reports."""
    if curve.raw_recall is None:
        return float(np.mean(curve.precision))
    steps = np.diff(curve.recall)
    return float(np.sum(steps * curve.precision[1:]))


def plot_pr_curves(curves: Sequence[PRCurve],
                   title: str = 'Precision-recall',
                   columns: int = 4) -> Figure:
    """One panel a class (the envelope, the area under it shaded, its AP in the legend; VOC's
    raw curve dotted beneath), then a panel with the AP table and the mean.

    Returns:
        The figure, 4 x 3.6 inches a panel at 100 dpi, ``columns`` panels a row.
    """
    if not curves:
        raise ValueError('no curves to plot')
    panels = len(curves) + 1
    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure = create_figure((4.0 * columns, 3.6 * rows))
    figure.suptitle(title)
    colours = [f'C{i % 10}' for i in range(len(curves))]
    for i, (curve, colour) in enumerate(zip(curves, colours)):
        ax = figure.add_subplot(rows, columns, i + 1)
        if curve.raw_recall is not None and len(curve.raw_recall):
            ax.plot(
                curve.raw_recall,
                curve.raw_precision,
                ':',
                color='gray',
                lw=1,
                label='after each detection')
        ax.fill_between(
            curve.recall,
            curve.precision,
            step='pre' if curve.raw_recall is not None else None,
            alpha=0.25,
            color=colour)
        ax.plot(
            curve.recall,
            curve.precision,
            color=colour,
            lw=2,
            drawstyle='steps-pre' if curve.raw_recall is not None else 'default',
            label=f'AP {curve.ap:.3f}')
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel('recall')
        ax.set_ylabel('precision')
        ax.set_title(curve.name)
        ax.grid(alpha=0.3)
        ax.legend(loc='lower left', fontsize=8)

    ax = figure.add_subplot(rows, columns, len(curves) + 1)
    ax.axis('off')
    aps = [c.ap for c in curves if not np.isnan(c.ap)]
    cells = [[c.name, 'n/a' if np.isnan(c.ap) else f'{c.ap:.3f}'] for c in curves]
    cells.append(['mean', f'{np.mean(aps):.3f}' if aps else 'n/a'])
    table = ax.table(
        cellText=cells,
        colLabels=['class', 'AP'],
        loc='center',
        cellLoc='center',
        colColours=['#dddddd'] * 2)
    table.scale(1, 1.4)
    figure.tight_layout()
    return figure


def ap_table(curves: Sequence[PRCurve]) -> Dict[str, float]:
    """``{class: AP}`` with ``'mean'`` over the classes that have ground truth."""
    table = {c.name: c.ap for c in curves}
    aps = [c.ap for c in curves if not np.isnan(c.ap)]
    table['mean'] = float(np.mean(aps)) if aps else float('nan')
    return table
