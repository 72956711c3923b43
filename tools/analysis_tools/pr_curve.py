"""Per-class precision-recall curves and the AP table of detections, as a picture.

    python tools/analysis_tools/pr_curve.py ANN_FILE RESULTS --out pr.png \
        [--eval coco|voc] [--iou-thr 0.5] [--voc-mode area|11points]

``ANN_FILE`` is a COCO ground-truth file (``instances_val.json``); ``RESULTS`` the detections
in COCO's result format (a list of ``image_id, category_id, bbox [x, y, w, h], score``), as
mmdet's ``CocoMetric`` writes them (``--cfg-options test_evaluator.outfile_prefix=results``
on ``tools/test.py`` gives ``results.bbox.json``).

* ``--eval coco``: pycocotools' ``COCOeval``; the curves are its 101-point precision envelopes
  at ``--iou-thr`` (``--iou-thr -1``: averaged over 0.5:0.95, COCO's AP) and each AP the
  mean of them, as ``COCOeval.summarize`` reports.
* ``--eval voc``: mmdet's ``eval_map`` on the same boxes (needs ``mmdet.evaluation``, i.e.
  compiled mmcv ops); the raw curve after each detection, its envelope, and AP the area under
  it (``area``) or the 11-point mean (``11points``, VOC2007).
"""
import argparse
import contextlib
import io
import json
import os.path as osp
from typing import List, Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from zoo.visualization import (PRCurve, ap_table, coco_pr_curves, plot_pr_curves, save_png,
                               voc_pr_curves)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Precision-recall curves and AP of detections')
    parser.add_argument('ann_file', help='COCO ground truth (instances_*.json)')
    parser.add_argument('results', help='detections in COCO result format (*.bbox.json)')
    parser.add_argument('--out', required=True, help='the PNG to write')
    parser.add_argument(
        '--eval',
        default='coco',
        choices=['coco', 'voc'],
        help="pycocotools' COCOeval or mmdet's VOC eval_map")
    parser.add_argument(
        '--iou-thr',
        type=float,
        default=0.5,
        help='IoU for a match; -1 with coco: the mean over 0.5:0.95')
    parser.add_argument('--voc-mode', default='area', choices=['area', '11points'])
    return parser.parse_args()


def load_results(path: str, coco: COCO) -> List[dict]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'no detections at {path}')
    with open(path) as f:
        results = json.load(f)
    if not isinstance(results, list) or not results:
        raise ValueError(f'{path}: expected a non-empty list of COCO detections')
    for i, det in enumerate(results):
        missing = {'image_id', 'category_id', 'bbox', 'score'} - set(det)
        if missing:
            raise ValueError(f'{path}: detection {i} lacks {sorted(missing)}')
        if det['image_id'] not in coco.imgs:
            raise ValueError(f'{path}: detection {i} is of image {det["image_id"]}, which '
                             'the ground truth does not hold')
        if det['category_id'] not in coco.cats:
            raise ValueError(f'{path}: detection {i} has category {det["category_id"]}, not '
                             f'one of {sorted(coco.cats)}')
    return results


def coco_curves(coco: COCO, results: List[dict], iou_thr: float) -> List[PRCurve]:
    with contextlib.redirect_stdout(io.StringIO()):  # loadRes and evaluate print timings
        evaluation = COCOeval(coco, coco.loadRes(results), 'bbox')
        evaluation.evaluate()
        evaluation.accumulate()
    return coco_pr_curves(evaluation, None if iou_thr < 0 else iou_thr)


def voc_curves(coco: COCO, results: List[dict], iou_thr: float, mode: str) -> List[PRCurve]:
    from mmdet.evaluation.functional import eval_map  # needs mmcv's compiled ops

    cat_ids = sorted(coco.cats)
    label = {cat_id: i for i, cat_id in enumerate(cat_ids)}
    by_image = {img_id: [] for img_id in coco.imgs}
    for det in results:
        by_image[det['image_id']].append(det)

    def xyxy(boxes: Sequence) -> np.ndarray:
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)

    det_results, annotations = [], []
    for img_id in coco.imgs:
        dets = by_image[img_id]
        det_results.append([
            np.concatenate([
                xyxy([d['bbox'] for d in dets if label[d['category_id']] == k]),
                np.asarray([d['score'] for d in dets if label[d['category_id']] == k],
                           dtype=np.float32).reshape(-1, 1)
            ],
                           axis=1) for k in range(len(cat_ids))
        ])
        anns = coco.imgToAnns.get(img_id, [])
        kept = [a for a in anns if not a.get('iscrowd', 0)]
        crowd = [a for a in anns if a.get('iscrowd', 0)]
        annotations.append(
            dict(
                bboxes=xyxy([a['bbox'] for a in kept]),
                labels=np.asarray([label[a['category_id']] for a in kept], dtype=np.int64),
                bboxes_ignore=xyxy([a['bbox'] for a in crowd]),
                labels_ignore=np.asarray([label[a['category_id']] for a in crowd], dtype=np.int64)))
    classes = [coco.cats[c]['name'] for c in cat_ids]
    _, per_class = eval_map(
        det_results,
        annotations,
        iou_thr=iou_thr,
        dataset=classes,
        logger='silent',
        nproc=1,
        eval_mode=mode)
    return voc_pr_curves(per_class, classes)


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.ann_file):
        raise FileNotFoundError(f'no ground truth at {args.ann_file}')
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(args.ann_file)
    results = load_results(args.results, coco)
    if args.eval == 'coco':
        curves = coco_curves(coco, results, args.iou_thr)
        iou = 'IoU 0.50:0.95' if args.iou_thr < 0 else f'IoU {args.iou_thr:.2f}'
        title = f'COCOeval (101-point envelope), {iou}'
    else:
        if args.iou_thr < 0:
            raise ValueError('--iou-thr -1 (0.5:0.95) is COCO\'s; VOC takes one threshold')
        curves = voc_curves(coco, results, args.iou_thr, args.voc_mode)
        title = f'VOC eval_map ({args.voc_mode}), IoU {args.iou_thr:.2f}'
    for name, ap in ap_table(curves).items():
        print(f'{name:>16} | AP {ap:.4f}')
    out = save_png(plot_pr_curves(curves, title), args.out)
    print(f'P-R curves of {len(curves)} classes: {out}')


if __name__ == '__main__':
    main()
