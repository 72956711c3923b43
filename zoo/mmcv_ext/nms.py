"""``nms``, ``softnms`` and ``nms_match`` with the semantics of mmcv 2.1.0's kernels.

mmcv's ``nms`` visits boxes in the order of ``scores.sort(0, descending=True)`` (unstable) and
suppresses a box when its IoU, a float32, exceeds the float32 threshold. torchvision's kernel
sorts again and compares with a double threshold; both differ on tied scores and on an IoU at
the threshold. So the boxes go to torchvision already in mmcv's order with strictly decreasing
stand-in scores, and the threshold is rounded to float32 first: the kept indices are then
mmcv's (on CPU and on CUDA, where both use the same ATen sort). mmcv's ``softnms`` and
``nms_match`` exist only on the CPU; they are written here with the kernels' float32 arithmetic.
"""
from typing import List

import numpy as np
import torch
import torchvision
from torch import Tensor


def _float32(value: float) -> float:
    return float(np.float32(value))


def _box_columns(boxes: Tensor, offset: int):
    x1, y1, x2, y2 = (boxes[:, i].contiguous() for i in range(4))
    return x1, y1, x2, y2, (x2 - x1 + offset) * (y2 - y1 + offset)


def _iou_one_to_many(i: int, x1, y1, x2, y2, areas, offset: int) -> Tensor:
    """The kernels' ``inter / (area_i + area_j - inter)``, float32 op by op."""
    w = (torch.minimum(x2[i], x2) - torch.maximum(x1[i], x1) + offset).clamp_(min=0)
    h = (torch.minimum(y2[i], y2) - torch.maximum(y1[i], y1) + offset).clamp_(min=0)
    inter = w * h
    return inter / (areas[i] + areas - inter)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float, offset: int = 0) -> Tensor:
    if boxes.numel() == 0:
        return boxes.new_empty(0, dtype=torch.long)
    order = scores.sort(0, descending=True)[1]
    sorted_boxes = boxes[order]
    threshold = _float32(iou_threshold)
    if offset == 0:
        rank = torch.arange(len(order), 0, -1, dtype=torch.float32, device=boxes.device)
        keep = torchvision.ops.nms(sorted_boxes.float(), rank, threshold)
        return order[keep]  # keep is in rank order, as mmcv's
    # offset=1 (legacy +1 box sizes): torchvision has no such option; greedy over mmcv's order
    x1, y1, x2, y2, areas = _box_columns(sorted_boxes, offset)
    selected = torch.ones(len(order), dtype=torch.bool, device=boxes.device)
    for i in range(len(order)):
        if selected[i]:
            suppressed = _iou_one_to_many(i, x1, y1, x2, y2, areas, offset) > threshold
            suppressed[:i + 1] = False
            selected &= ~suppressed
    return order[selected]


def softnms(boxes: Tensor, scores: Tensor, dets: Tensor, iou_threshold: float, sigma: float,
            min_score: float, method: int, offset: int) -> Tensor:
    """Fills ``dets`` (N, 5) in selection order; returns the kept indices in that order."""
    if boxes.numel() == 0:
        return boxes.new_empty(0, dtype=torch.long)
    columns = [c.numpy().copy() for c in _box_columns(boxes.float(), offset)]
    x1, y1, x2, y2, areas = columns
    sc = scores.float().numpy().copy()
    inds = np.arange(len(sc))
    arrays = (x1, y1, x2, y2, areas, sc, inds)
    threshold, sigma, min_score = (np.float32(v) for v in (iou_threshold, sigma, min_score))
    out = dets.numpy()
    n = len(sc)
    i = 0
    while i < n:
        best = i + int(np.argmax(sc[i:n]))  # first maximum, as the kernel's strict '<'
        for a in arrays:
            a[i], a[best] = a[best], a[i]
        out[i] = (x1[i], y1[i], x2[i], y2[i], sc[i])
        rest = slice(i + 1, n)
        w = np.maximum(
            np.float32(0),
            np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + np.float32(offset))
        h = np.maximum(
            np.float32(0),
            np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + np.float32(offset))
        inter = w * h
        ovr = inter / (areas[i] + areas[rest] - inter)
        if method == 0:
            weight = np.where(ovr >= threshold, np.float32(0), np.float32(1))
        elif method == 1:
            weight = np.where(ovr >= threshold, np.float32(1) - ovr, np.float32(1))
        else:  # expf of a float32, correctly rounded through float64
            weight = np.exp((-(ovr * ovr) / sigma).astype(np.float64)).astype(np.float32)
        sc[rest] *= weight
        n = i + 1 + _drop_below(arrays, i + 1, n, sc[rest] >= min_score)
        i += 1
    return torch.from_numpy(inds[:n].copy())


def _drop_below(arrays, start: int, stop: int, survives: np.ndarray) -> int:
    """The kernel's removal: a dropped box's slot takes the last box, which is checked in turn.

    That leaves the survivors in front in place and fills the holes among them with the
    survivors from the back, last first. Returns how many survive.
    """
    count = int(survives.sum())
    front = survives[:count]
    holes = np.flatnonzero(~front)
    movers = (count + np.flatnonzero(survives[count:]))[::-1]
    for a in arrays:
        a[start + holes] = a[start + movers]
    return count


def nms_match(dets: Tensor, iou_threshold: float) -> List[List[int]]:
    """Groups: each kept box, then the boxes it suppressed (IoU >= threshold), in score order."""
    x1, y1, x2, y2, areas = _box_columns(dets.float(), 0)
    order = dets[:, 4].contiguous().sort(0, descending=True)[1].tolist()
    threshold = _float32(iou_threshold)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    position = torch.empty(len(order), dtype=torch.long)
    position[order] = torch.arange(len(order))
    groups = []
    for rank, i in enumerate(order):
        if suppressed[i]:
            continue
        hit = (_iou_one_to_many(i, x1, y1, x2, y2, areas, 0) >= threshold) & ~suppressed
        hit &= position > rank
        members = torch.nonzero(hit).squeeze(1)
        members = members[position[members].argsort()]
        suppressed[members] = True
        groups.append([i] + members.tolist())
    return groups
