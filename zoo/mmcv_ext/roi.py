"""RoIAlign and RoIPool with the signatures and semantics of mmcv 2.1.0's ``_ext``.

RoIAlign's average mode is torchvision's kernel (CPU and CUDA), which computes what mmcv's
does, bit for bit in float32 (aligned True/False, any sampling ratio). RoIPool is written with
tensor ops after mmcv's CUDA kernel (mmcv has no CPU one): bins from the float RoI with x2 + 1,
floor/ceil, first maximum in row-major order, empty bins 0 with argmax -1.
"""
import torch
from torch import Tensor

from .unavailable import not_implemented


def _same_dtype(features: Tensor, rois: Tensor):
    """torchvision's kernels take one dtype; half features with float32 RoIs (mixed precision)
    run in float32, as torchvision's own autocast wrapper does, not with rounded RoIs."""
    if features.dtype == rois.dtype:
        return features, rois
    return features.float(), rois.float()


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor,
                      argmax_x: Tensor, aligned_height: int, aligned_width: int,
                      spatial_scale: float, sampling_ratio: int, pool_mode: int,
                      aligned: bool) -> None:
    if pool_mode == 0:
        raise not_implemented('roi_align_forward', "pool_mode='max' (torchvision has no kernel "
                              "for it; mmdet's RoIAlign default 'avg' is served)")
    input, rois = _same_dtype(input, rois)
    output.copy_(torch.ops.torchvision.roi_align(input, rois, spatial_scale, aligned_height,
                                                 aligned_width, sampling_ratio, aligned))


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor, argmax_x: Tensor,
                       grad_input: Tensor, aligned_height: int, aligned_width: int,
                       spatial_scale: float, sampling_ratio: int, pool_mode: int,
                       aligned: bool) -> None:
    if pool_mode == 0:
        raise not_implemented('roi_align_backward', "pool_mode='max'")
    batch, channels, height, width = grad_input.shape
    grad_output, rois = _same_dtype(grad_output, rois)
    grad_input.copy_(torch.ops.torchvision._roi_align_backward(
        grad_output, rois, spatial_scale, aligned_height, aligned_width, batch, channels,
        height, width, sampling_ratio, aligned))


def _bin_edges(start: Tensor, size: Tensor, bins: int, limit: int):
    """Per RoI, the [first, last) pixel of each bin along one axis, clipped to [0, limit]."""
    step = size / bins
    k = torch.arange(bins + 1, device=start.device, dtype=start.dtype)
    lo = torch.floor(k[:-1] * step[:, None] + start[:, None]).clamp(0, limit).long()
    hi = torch.ceil(k[1:] * step[:, None] + start[:, None]).clamp(0, limit).long()
    return lo, hi


def roi_pool_forward(input: Tensor, rois: Tensor, output: Tensor, argmax: Tensor,
                     pooled_height: int, pooled_width: int, spatial_scale: float) -> None:
    height, width = input.shape[-2:]
    scale = torch.tensor(spatial_scale, dtype=input.dtype, device=input.device)
    x1, y1 = rois[:, 1] * scale, rois[:, 2] * scale
    x2, y2 = (rois[:, 3] + 1) * scale, (rois[:, 4] + 1) * scale
    roi_w, roi_h = x2 - x1, y2 - y1
    wlo, whi = _bin_edges(x1, roi_w, pooled_width, width)
    hlo, hhi = _bin_edges(y1, roi_h, pooled_height, height)
    # RoIs of no size are skipped by the kernel: their output stays 0 and argmax as allocated
    for r in torch.nonzero((roi_w > 0) & (roi_h > 0)).squeeze(1).tolist():
        h0, h1 = int(hlo[r].min()), int(hhi[r].max())
        w0, w1 = int(wlo[r].min()), int(whi[r].max())
        if h1 <= h0 or w1 <= w0:
            output[r] = 0
            argmax[r] = -1
            continue
        crop = input[int(rois[r, 0]), :, h0:h1, w0:w1]  # (C, h, w)
        cols = torch.arange(w0, w1, device=input.device)
        rows = torch.arange(h0, h1, device=input.device)
        in_w = (cols >= wlo[r, :, None]) & (cols < whi[r, :, None])  # (PW, w)
        in_h = (rows >= hlo[r, :, None]) & (rows < hhi[r, :, None])  # (PH, h)
        # max over each bin's columns, then over its rows; both keep the first maximum
        by_col = crop[:, None].masked_fill(~in_w[None, :, None, :], -torch.inf)  # C,PW,h,w
        col_val, col_idx = by_col.max(dim=3)  # (C, PW, h)
        by_row = col_val[:, None].masked_fill(~in_h[None, :, None, :], -torch.inf)  # C,PH,PW,h
        val, row_idx = by_row.max(dim=3)  # (C, PH, PW)
        best_col = col_idx[:, None].expand(-1, pooled_height, -1, -1).gather(
            3, row_idx[..., None]).squeeze(3)
        empty = (hhi[r] <= hlo[r])[:, None] | (whi[r] <= wlo[r])[None, :]  # (PH, PW)
        output[r] = val.masked_fill(empty, 0)
        index = (h0 + row_idx) * width + w0 + best_col
        argmax[r] = index.masked_fill(empty, -1).to(argmax.dtype)


def roi_pool_backward(grad_output: Tensor, rois: Tensor, argmax: Tensor, grad_input: Tensor,
                      pooled_height: int, pooled_width: int, spatial_scale: float) -> None:
    batch, channels, height, width = grad_input.shape
    plane = (rois[:, 0].long()[:, None] * channels +
             torch.arange(channels, device=rois.device)) * height * width  # (R, C)
    index = plane[:, :, None, None] + argmax.long()
    hit = argmax >= 0
    grad_input.view(-1).index_add_(0, index[hit], grad_output[hit])
