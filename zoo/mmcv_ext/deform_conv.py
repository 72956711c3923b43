"""DCN (``deform_conv_*``) and DCNv2 (``modulated_deform_conv_*``) on torchvision's kernels.

torchvision's ``deform_conv2d`` samples the same offsets (per kernel tap: dy, then dx) and
mask with the same bilinear rule (zero outside the image) as mmcv's kernels, on CPU and CUDA.
mmcv's entry points write into preallocated tensors; the column buffers they pass are unused.
Backward is torchvision's backward op, which gives every gradient in one call.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from .precision import kernel_dtype


def _output_size(input: Tensor, weight: Tensor, stride, pad, dilation) -> Tuple[int, int]:
    return tuple(
        (size + 2 * p - d * (k - 1) - 1) // s + 1
        for size, p, d, k, s in zip(input.shape[2:], pad, dilation, weight.shape[2:], stride))


def _check_shapes(input, weight, offset, mask, stride, pad, dilation) -> None:
    """mmcv's kernels check these (``shape_check``; the modulated ones read the offset and mask
    as :func:`_as_mmcv_reads` says first) and raise; torchvision's reads out of bounds (a
    segmentation fault) when the offset does not cover the output."""
    height, width = _output_size(input, weight, stride, pad, dilation)
    taps = weight.size(2) * weight.size(3)
    problems = []
    if input.dim() != 4 or input.size(1) % weight.size(1):
        problems.append(f'input {tuple(input.shape)} against weight {tuple(weight.shape)}')
    if offset.dim() != 4 or offset.size(1) % (2 * taps) or offset.size(0) != input.size(0) \
            or tuple(offset.shape[2:]) != (height, width):
        problems.append(f'offset {tuple(offset.shape)}, expected ({input.size(0)}, '
                        f'2 x {taps} x deform_groups, {height}, {width})')
    if mask is not None and (tuple(mask.shape[2:]) != (height, width)
                             or mask.size(1) * 2 != offset.size(1)):
        problems.append(f'mask {tuple(mask.shape)} against offset {tuple(offset.shape)}')
    if problems:
        raise ValueError(f'deform_conv (zoo.mmcv_ext): {"; ".join(problems)} (stride {stride}, '
                         f'padding {pad}, dilation {dilation})')


def _finite_offset(input: Tensor, weight: Tensor, offset: Tensor, pad, dilation) -> Tensor:
    """``offset`` with its non-finite entries moved outside the image. mmcv's kernels skip a
    sampling point whose position fails ``-1 < h < height`` (a NaN fails it): it adds 0.
    torchvision's turn a NaN position into an index and read out of bounds (a segmentation
    fault), so a NaN or infinite offset becomes one that lands past the top-left corner (one
    elementwise pass, without the device sync a test for NaN would cost)."""
    outside = -float(
        sum(input.shape[2:]) + 2 * (max(pad) + max(dilation) * max(weight.shape[2:])) + 2)
    return torch.nan_to_num(offset, nan=outside, posinf=outside, neginf=outside)


def _forward(input, weight, offset, mask, bias, stride, pad, dilation) -> Tensor:
    _check_shapes(input, weight, offset, mask, stride, pad, dilation)
    offset = _finite_offset(input, weight, offset, pad, dilation)
    use_mask = mask is not None
    tensors = kernel_dtype(input, weight, offset, *_mask_bias(input, weight, mask, bias))
    return torch.ops.torchvision.deform_conv2d(*tensors, stride[0], stride[1], pad[0], pad[1],
                                               dilation[0], dilation[1], _groups(input, weight),
                                               _offset_groups(offset, weight), use_mask)


def _backward(grad_output, input, weight, offset, mask, bias, stride, pad,
              dilation) -> Tuple[Tensor, ...]:
    """(grad_input, grad_weight, grad_offset, grad_mask, grad_bias)."""
    _check_shapes(input, weight, offset, mask, stride, pad, dilation)
    offset = _finite_offset(input, weight, offset, pad, dilation)
    use_mask = mask is not None
    tensors = kernel_dtype(grad_output.contiguous(), input, weight, offset,
                           *_mask_bias(input, weight, mask, bias))
    return torch.ops.torchvision._deform_conv2d_backward(*tensors, stride[0], stride[1], pad[0],
                                                         pad[1], dilation[0], dilation[1],
                                                         _groups(input, weight),
                                                         _offset_groups(offset, weight), use_mask)


def _mask_bias(input: Tensor, weight: Tensor, mask: Optional[Tensor],
               bias: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    """What ``torchvision.ops.deform_conv2d`` passes its kernel for an absent mask or bias."""
    if mask is None:
        mask = input.new_zeros(input.size(0), 1)
    if bias is None:
        bias = input.new_zeros(weight.size(0))
    return mask, bias


def _groups(input: Tensor, weight: Tensor) -> int:
    return input.size(1) // weight.size(1)


def _offset_groups(offset: Tensor, weight: Tensor) -> int:
    return offset.size(1) // (2 * weight.size(2) * weight.size(3))


def deform_conv_forward(input, weight, offset, output, columns, ones, kW, kH, dW, dH, padW, padH,
                        dilationW, dilationH, group, deformable_group, im2col_step) -> None:
    output.copy_(
        _forward(input, weight, offset, None, None, (dH, dW), (padH, padW), (dilationH, dilationW)))


def deform_conv_backward_input(input, offset, gradOutput, gradInput, gradOffset, weight, columns,
                               kW, kH, dW, dH, padW, padH, dilationW, dilationH, group,
                               deformable_group, im2col_step) -> None:
    grads = _backward(gradOutput, input, weight, offset, None, None, (dH, dW), (padH, padW),
                      (dilationH, dilationW))
    gradInput.copy_(grads[0])
    gradOffset.copy_(grads[2])


def deform_conv_backward_parameters(input, offset, gradOutput, gradWeight, columns, ones, kW, kH,
                                    dW, dH, padW, padH, dilationW, dilationH, group,
                                    deformable_group, scale, im2col_step) -> None:
    # mmcv passes no weight here; the weight gradient does not depend on its values
    weight = torch.zeros_like(gradWeight)
    grads = _backward(gradOutput, input, weight, offset, None, None, (dH, dW), (padH, padW),
                      (dilationH, dilationW))
    gradWeight.add_(grads[1], alpha=scale)


def _as_mmcv_reads(tensor: Tensor, channels: int, size: Tuple[int, int], name: str) -> Tensor:
    """``tensor`` (``B x C' x H' x W'``) as mmcv's modulated kernels read it: each sample's
    buffer taken from its start as ``channels x H x W`` of the output size. mmcv checks no
    shape there, so an offset or mask made for a larger map (mmdet's DyHead passes the offsets of
    one level to the convolution of the next, smaller one) is read from its first elements; a
    smaller one would be read past its end, and is refused."""
    if tuple(tensor.shape[1:]) == (channels, *size):
        return tensor
    needed = channels * size[0] * size[1]
    flat = tensor.reshape(tensor.size(0), -1)
    if flat.size(1) < needed:
        raise ValueError(f'modulated_deform_conv (zoo.mmcv_ext): {name} {tuple(tensor.shape)} '
                         f'holds fewer than the {channels} x {size[0]} x {size[1]} values a '
                         f'sample that mmcv\'s kernel reads')
    return flat[:, :needed].reshape(tensor.size(0), channels, *size)


def _modulated_views(input, weight, offset, mask, deform_groups, stride, pad,
                     dilation) -> Tuple[Tensor, Tensor]:
    size = _output_size(input, weight, stride, pad, dilation)
    taps = weight.size(2) * weight.size(3) * deform_groups
    return (_as_mmcv_reads(offset, 2 * taps, size,
                           'offset'), _as_mmcv_reads(mask, taps, size, 'mask'))


def modulated_deform_conv_forward(input, weight, bias, ones, offset, mask, output, columns,
                                  kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                  dilation_w, group, deformable_group, with_bias) -> None:
    bias = bias if with_bias else None
    geometry = (stride_h, stride_w), (pad_h, pad_w), (dilation_h, dilation_w)
    offset, mask = _modulated_views(input, weight, offset, mask, deformable_group, *geometry)
    output.copy_(_forward(input, weight, offset, mask, bias, *geometry))


def modulated_deform_conv_backward(input, weight, bias, ones, offset, mask, columns, grad_input,
                                   grad_weight, grad_bias, grad_offset, grad_mask, grad_output,
                                   kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                   dilation_w, group, deformable_group, with_bias) -> None:
    bias = bias if with_bias else None
    geometry = (stride_h, stride_w), (pad_h, pad_w), (dilation_h, dilation_w)
    offset, mask = _modulated_views(input, weight, offset, mask, deformable_group, *geometry)
    grads = _backward(grad_output, input, weight, offset, mask, bias, *geometry)
    grad_input.copy_(grads[0])
    grad_weight.copy_(grads[1])
    # as mmcv's kernel: the gradient lands in the elements that were read (mmcv passes zeros)
    for target, grad in ((grad_offset, grads[2]), (grad_mask, grads[3])):
        target.view(target.size(0), -1)[:, :grad[0].numel()].copy_(grad.reshape(grad.size(0), -1))
    if with_bias:
        grad_bias.copy_(grads[4])
