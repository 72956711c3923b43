"""``bbox_overlaps`` as mmcv 2.1.0's CPU kernel computes it (plain tensor ops, any device)."""
from torch import Tensor


def bbox_overlaps(bboxes1: Tensor,
                  bboxes2: Tensor,
                  ious: Tensor,
                  mode: int = 0,
                  aligned: bool = False,
                  offset: int = 0) -> None:
    """Writes IoU (``mode=0``) or IoF (``mode=1``) into ``ious``: (m,) if aligned, else (m, n)."""
    b1 = bboxes1 if aligned else bboxes1[:, None]
    lt = b1[..., :2].maximum(bboxes2[:, :2])
    rb = b1[..., 2:].minimum(bboxes2[:, 2:])
    wh = (rb - lt + offset).clamp(0, 2**31 - 1)
    overlap = wh[..., 0] * wh[..., 1]
    area1 = (bboxes1[:, 2] - bboxes1[:, 0] + offset) * (bboxes1[:, 3] - bboxes1[:, 1] + offset)
    if not aligned:
        area1 = area1[:, None]
    if mode == 0:
        area2 = ((bboxes2[:, 2] - bboxes2[:, 0] + offset) *
                 (bboxes2[:, 3] - bboxes2[:, 1] + offset))
        ious.copy_(overlap / (area1 + area2 - overlap))
    else:
        ious.copy_(overlap / area1)
