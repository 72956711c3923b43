"""RoIAlign and RoIPool with the signatures and semantics of mmcv 2.1.0's ``_ext``.

RoIAlign's average mode is torchvision's kernel (CPU and CUDA), which computes what mmcv's
does, bit for bit in float32 (aligned True/False, any sampling ratio). torchvision has no max
mode: it is written here with tensor ops after mmcv's CPU kernel (the same sample points and
bilinear weights in float32, the first maximum above -10000 in sampling order, whose point is
kept for backward). RoIPool is written after mmcv's CUDA kernel (mmcv has no CPU one): bins
from the float RoI with x2 + 1, floor/ceil, first maximum in row-major order, empty bins 0
with argmax -1.
"""
from typing import Tuple

import torch
from torch import Tensor

from .precision import kernel_dtype

MAX_POOL_FLOOR = -10000.  # mmcv's kernel starts its max from this value
CHUNK = 1 << 22  # sampled values held at once by max-mode RoIAlign


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor,
                      argmax_x: Tensor, aligned_height: int, aligned_width: int,
                      spatial_scale: float, sampling_ratio: int, pool_mode: int,
                      aligned: bool) -> None:
    if pool_mode == 0:
        return _roi_align_max(input, rois, output, argmax_y, argmax_x, aligned_height,
                              aligned_width, spatial_scale, sampling_ratio, aligned)
    input, rois = kernel_dtype(input, rois)
    output.copy_(
        torch.ops.torchvision.roi_align(input, rois, spatial_scale, aligned_height, aligned_width,
                                        sampling_ratio, aligned))


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor, argmax_x: Tensor,
                       grad_input: Tensor, aligned_height: int, aligned_width: int,
                       spatial_scale: float, sampling_ratio: int, pool_mode: int,
                       aligned: bool) -> None:
    if pool_mode == 0:
        return _roi_align_max_backward(grad_output, rois, argmax_y, argmax_x, grad_input)
    batch, channels, height, width = grad_input.shape
    grad_output, rois = kernel_dtype(grad_output, rois)
    grad_input.copy_(
        torch.ops.torchvision._roi_align_backward(grad_output, rois, spatial_scale, aligned_height,
                                                  aligned_width, batch, channels, height, width,
                                                  sampling_ratio, aligned))


def _sample_points(rois: Tensor, pooled: Tuple[int, int], spatial_scale: float, sampling_ratio: int,
                   aligned: bool):
    """Per RoI: y and x of each bin's first sample, the bin size and the samples per bin."""
    scale = torch.tensor(spatial_scale, dtype=rois.dtype, device=rois.device)
    offset = 0.5 if aligned else 0.0
    start = rois[:, 1:3] * scale - offset  # (x, y)
    size = (rois[:, 3:5] * scale - offset) - start
    if not aligned:
        size = size.clamp(min=1.)
    bins = torch.tensor(pooled[::-1], dtype=rois.dtype, device=rois.device)  # (w, h)
    grid = (torch.full_like(size, sampling_ratio)
            if sampling_ratio > 0 else torch.ceil(size / bins)).long()
    return start, size / bins, grid


def _bilinear(y: Tensor, x: Tensor, height: int, width: int):
    """mmcv's bilinear_interpolate(_gradient): the four corners' flat positions and weights,
    all zero where the point is outside [-1, size]."""
    outside = (y < -1.0) | (y > height) | (x < -1.0) | (x > width)
    corners = []
    for v, size in ((y, height), (x, width)):
        v = v.clamp(min=0)
        low = v.long()
        top = low >= size - 1
        low = low.clamp(max=size - 1)
        high = torch.where(top, low, low + 1)
        v = torch.where(top, low.to(v.dtype), v)
        lv = v - low
        corners.append((low, high, 1. - lv, lv))
    (y_low, y_high, hy, ly), (x_low, x_high, hx, lx) = corners
    weights = [w.masked_fill(outside, 0) for w in (hy * hx, hy * lx, ly * hx, ly * lx)]
    positions = [(yy * width + xx).masked_fill(outside, 0)
                 for yy, xx in ((y_low, x_low), (y_low, x_high), (y_high, x_low), (y_high, x_high))]
    return positions, weights, ~outside


def _roi_align_max(input, rois, output, argmax_y, argmax_x, pooled_height, pooled_width,
                   spatial_scale, sampling_ratio, aligned) -> None:
    channels, height, width = input.shape[1:]
    start, bin_size, grid = _sample_points(rois, (pooled_height, pooled_width), spatial_scale,
                                           sampling_ratio, aligned)
    flat = input.reshape(-1)
    output.fill_(MAX_POOL_FLOOR)
    argmax_y.fill_(-1)
    argmax_x.fill_(-1)
    # RoIs with the same samples per bin are computed together, a chunk at a time
    for grid_w, grid_h in torch.unique(grid, dim=0).tolist():
        if grid_w * grid_h == 0:
            continue  # no sample: the kernel's -10000 and argmax -1
        same = torch.nonzero((grid[:, 0] == grid_w) & (grid[:, 1] == grid_h)).squeeze(1)
        step = max(1, CHUNK // (channels * pooled_height * pooled_width * grid_h * grid_w))
        for part in same.split(step):
            ys = _axis_samples(start[part, 1], bin_size[part, 1], pooled_height, grid_h)
            xs = _axis_samples(start[part, 0], bin_size[part, 0], pooled_width, grid_w)
            y = ys[:, :, :, None, None].expand(-1, -1, -1, pooled_width, grid_w)
            x = xs[:, None, None].expand(-1, pooled_height, grid_h, -1, -1)
            positions, weights, _ = _bilinear(y, x, height, width)  # (n, PH, gh, PW, gw)
            plane = (rois[part, 0].long()[:, None] * channels +
                     torch.arange(channels, device=input.device)) * height * width  # (n, C)
            value = None
            for pos, w in zip(positions, weights):
                term = w[:, None] * flat[plane[:, :, None, None, None, None] + pos[:, None]]
                value = term if value is None else value + term
            # samples in the kernel's order (iy, then ix) per bin; max keeps the first maximum
            value = value.permute(0, 1, 2, 4, 3, 5).flatten(4)  # (n, C, PH, PW, gh*gw)
            best, index = value.max(dim=4)
            found = best > MAX_POOL_FLOOR
            iy, ix = index // grid_w, index % grid_w
            best_y = ys[:, None].expand(-1, channels, -1, -1).gather(3, iy)  # (n, C, PH, PW)
            best_x = xs[:, None, None, :, :].expand(-1, channels, pooled_height, -1,
                                                    -1).gather(4, ix[..., None]).squeeze(4)
            output[part] = torch.where(found, best, MAX_POOL_FLOOR)
            argmax_y[part] = torch.where(found, best_y, -1.)
            argmax_x[part] = torch.where(found, best_x, -1.)


def _axis_samples(start: Tensor, bin_size: Tensor, bins: int, grid: int) -> Tensor:
    """(n, bins, grid) sample coordinates: start + p * bin + (i + .5) * bin / grid, in float."""
    p = torch.arange(bins, device=start.device, dtype=start.dtype)
    i = torch.arange(grid, device=start.device, dtype=start.dtype) + 0.5
    first = start[:, None] + p * bin_size[:, None]
    return first[:, :, None] + i * bin_size[:, None, None] / grid


def _roi_align_max_backward(grad_output, rois, argmax_y, argmax_x, grad_input) -> None:
    """Each bin's gradient to the four corners of its maximum's point, in the kernel's order."""
    batch, channels, height, width = grad_input.shape
    positions, weights, inside = _bilinear(argmax_y, argmax_x, height, width)
    inside &= argmax_y != -1.
    plane = (rois[:, 0].long()[:, None] * channels +
             torch.arange(channels, device=rois.device)) * height * width  # (R, C)
    plane = plane[:, :, None, None]
    index = torch.stack([plane + p for p in positions], -1)[inside]  # (K, 4)
    grad = torch.stack([grad_output * w for w in weights], -1)[inside]
    grad_input.view(-1).index_add_(0, index.flatten(), grad.flatten())


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
        best_col = col_idx[:, None].expand(-1, pooled_height, -1,
                                           -1).gather(3, row_idx[..., None]).squeeze(3)
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
