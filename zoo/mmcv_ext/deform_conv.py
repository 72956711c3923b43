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


def _check_shapes(input, weight, offset, mask, stride, pad, dilation) -> None:
    """mmcv's kernels check these (``shape_check``) and raise; torchvision's reads out of bounds
    (a segmentation fault) when the offset does not cover the output."""
    height, width = (
        ((size + 2 * p - d * (k - 1) - 1) // s + 1)
        for size, p, d, k, s in zip(input.shape[2:], pad, dilation, weight.shape[2:], stride))
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


def modulated_deform_conv_forward(input, weight, bias, ones, offset, mask, output, columns,
                                  kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                  dilation_w, group, deformable_group, with_bias) -> None:
    bias = bias if with_bias else None
    output.copy_(
        _forward(input, weight, offset, mask, bias, (stride_h, stride_w), (pad_h, pad_w),
                 (dilation_h, dilation_w)))


def modulated_deform_conv_backward(input, weight, bias, ones, offset, mask, columns, grad_input,
                                   grad_weight, grad_bias, grad_offset, grad_mask, grad_output,
                                   kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                   dilation_w, group, deformable_group, with_bias) -> None:
    bias = bias if with_bias else None
    grads = _backward(grad_output, input, weight, offset, mask, bias, (stride_h, stride_w),
                      (pad_h, pad_w), (dilation_h, dilation_w))
    for target, grad in zip((grad_input, grad_weight, grad_offset, grad_mask), grads):
        target.copy_(grad)
    if with_bias:
        grad_bias.copy_(grads[4])
