"""Per-class precision-recall curves and the AP table of detections, as a picture.

    python tools/analysis_tools/pr_curve.py ANN_FILE RESULTS --out pr.png \
        [--eval coco|voc] [--iou-thr 0.5] [--voc-mode area|11points]
    python tools/analysis_tools/pr_curve.py CONFIG RESULTS.pkl --out pr.png --eval voc \
        [--iou-thr 0.5] [--voc-mode area|11points]

Two kinds of input:

* ``ANN_FILE`` a COCO ground-truth file (``instances_val.json``) and ``RESULTS`` the
  detections in COCO's result format (a list of ``image_id, category_id, bbox [x, y, w, h],
  score``), as mmdet's ``CocoMetric`` writes them (``--cfg-options
  test_evaluator.outfile_prefix=results`` on ``tools/test.py`` gives ``results.bbox.json``);
* ``CONFIG`` a detection config and ``RESULTS.pkl`` what ``tools/test.py CONFIG CHECKPOINT
  --out RESULTS.pkl`` dumped for its test set, of any format (VOC XML, COCO, YOLO). The
  ground truth and detections are those of each dumped sample, exactly what mmdet's
  ``VOCMetric`` evaluates (the test pipeline must load the annotations, as VOCMetric needs);
  the class names are the config's test set's. Only ``--eval voc``.

* ``--eval coco``: pycocotools' ``COCOeval``; the curves are its 101-point precision envelopes
  at ``--iou-thr`` (``--iou-thr -1``: averaged over 0.5:0.95, COCO's AP) and each AP the
  mean of them, as ``COCOeval.summarize`` reports.
* ``--eval voc``: mmdet's ``eval_map`` on the same boxes (needs ``mmdet.evaluation``: mmcv's
  ops, compiled or zoo's); the raw curve after each detection, its envelope, and AP the area
  under it (``area``) or the 11-point mean (``11points``, VOC2007). From a config's dump it
  is called as ``VOCMetric`` calls it (VOC's legacy ``+ 1`` pixel areas), so the mean AP is
  VOCMetric's ``pascal_voc/mAP`` at that IoU.
"""
import argparse
import contextlib
import io
import json
import os.path as osp
import pickle
from typing import List, Sequence, Tuple

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from zoo.visualization import (PRCurve, ap_table, coco_pr_curves, plot_pr_curves, save_png,
                               voc_pr_curves)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Precision-recall curves and AP of detections')
    parser.add_argument(
        'ann_file', help='COCO ground truth (instances_*.json) or a detection config (*.py)')
    parser.add_argument(
        'results',
        help='detections in COCO result format (*.bbox.json), or with a config, the '
        'pickle tools/test.py --out wrote')
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
    """COCO's ground truth and detections through mmdet's ``eval_map`` (crowd boxes ignored)."""
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
        det_results.append(
            per_class(
                xyxy([d['bbox'] for d in dets]), np.asarray([d['score'] for d in dets]),
                np.asarray([label[d['category_id']] for d in dets], dtype=np.int64), len(cat_ids)))
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
    return eval_map_curves(det_results, annotations, classes, iou_thr, mode, legacy=False)


def per_class(bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
              num_classes: int) -> List[np.ndarray]:
    """One image's detections as ``eval_map`` takes them: a ``(n, 5)`` array a class."""
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1, 1)
    return [np.hstack([bboxes[labels == k], scores[labels == k]]) for k in range(num_classes)]


def eval_map_curves(det_results: list, annotations: list, classes: Sequence[str], iou_thr: float,
                    mode: str, legacy: bool) -> List[PRCurve]:
    from mmdet.evaluation.functional import eval_map  # needs mmcv's ops

    _, results = eval_map(
        det_results,
        annotations,
        iou_thr=iou_thr,
        dataset=list(classes),
        logger='silent',
        nproc=1,
        eval_mode=mode,
        use_legacy_coordinate=legacy)
    return voc_pr_curves(results, classes)


def load_test_dump(config: str, path: str) -> Tuple[List[str], List[dict]]:
    """The class names of ``config``'s test set and the samples ``tools/test.py --out``
    dumped for it, checked to be that set's and to carry what VOCMetric reads."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    if not osp.isfile(path):
        raise FileNotFoundError(f'no detections at {path}')
    if not path.endswith(('.pkl', '.pickle')):
        raise ValueError(f'with a config, RESULTS is the pickle tools/test.py --out writes, '
                         f'got {path}')
    cfg = Config.fromfile(config)  # imports its custom_imports (zoo.det)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    from mmdet.registry import DATASETS
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    classes = list(dataset.metainfo['classes'])
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    if not isinstance(samples, list) or len(samples) != len(dataset):
        count = len(samples) if isinstance(samples, list) else type(samples).__name__
        raise ValueError(f'{path} holds {count} samples; the test set of {config} has '
                         f'{len(dataset)}: dump it with tools/test.py {config} CHECKPOINT --out')
    for i, sample in enumerate(samples):
        missing = [
            key for key in ('pred_instances', 'gt_instances', 'ignored_instances')
            if key not in sample
        ]
        if missing:
            raise ValueError(f'{path}: sample {i} ({sample.get("img_path")}) lacks {missing}; '
                             'the VOC evaluation needs the ground truth in the samples: the test '
                             'pipeline must load it (LoadAnnotations before PackDetInputs)')
    return classes, samples


def dump_curves(classes: Sequence[str], samples: List[dict], iou_thr: float, mode: str,
                path: str) -> List[PRCurve]:
    """The dumped samples through ``eval_map`` with VOCMetric's inputs and arguments."""

    def numpy(value) -> np.ndarray:
        return value.cpu().numpy() if hasattr(value, 'cpu') else np.asarray(value)

    det_results, annotations = [], []
    for i, sample in enumerate(samples):
        pred, gt, ignored = (
            sample[k] for k in ('pred_instances', 'gt_instances', 'ignored_instances'))
        labels = numpy(pred['labels']).astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
            raise ValueError(f'{path}: sample {i} has label {int(labels.max())}, and the test '
                             f'set has {len(classes)} classes')
        det_results.append(
            per_class(numpy(pred['bboxes']), numpy(pred['scores']), labels, len(classes)))
        annotations.append(
            dict(
                bboxes=numpy(gt['bboxes']).reshape(-1, 4),
                labels=numpy(gt['labels']),
                bboxes_ignore=numpy(ignored['bboxes']).reshape(-1, 4),
                labels_ignore=numpy(ignored['labels'])))
    return eval_map_curves(det_results, annotations, classes, iou_thr, mode, legacy=True)


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.ann_file):
        raise FileNotFoundError(f'no ground truth at {args.ann_file}')
    if args.ann_file.endswith('.py'):
        if args.eval != 'voc' or args.iou_thr < 0:
            raise ValueError('a config and its test dump are evaluated as VOCMetric does: '
                             '--eval voc with one --iou-thr (COCO\'s evaluation takes the COCO '
                             'JSON files)')
        classes, samples = load_test_dump(args.ann_file, args.results)
        curves = dump_curves(classes, samples, args.iou_thr, args.voc_mode, args.results)
        title = f'VOC eval_map ({args.voc_mode}), IoU {args.iou_thr:.2f}'
        save(curves, title, args.out)
        return
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
    save(curves, title, args.out)


def save(curves: List[PRCurve], title: str, out: str) -> None:
    for name, ap in ap_table(curves).items():
        print(f'{name:>16} | AP {ap:.4f}')
    out = save_png(plot_pr_curves(curves, title), out)
    print(f'P-R curves of {len(curves)} classes: {out}')


if __name__ == '__main__':
    main()
