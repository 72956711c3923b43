"""Multi-scale deformable attention (Deformable DETR) for CUDA tensors.

mmcv itself runs ``multi_scale_deformable_attn_pytorch`` (grid_sample) on the CPU and calls
the compiled ``ms_deform_attn_*`` kernels only for CUDA tensors; here those names run the same
PyTorch function on any device, and backward is its autograd.
"""
import torch
from torch import Tensor


def _attention(value, spatial_shapes, sampling_locations, attention_weights) -> Tensor:
    from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch
    return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                               attention_weights)


def ms_deform_attn_forward(value: Tensor, value_spatial_shapes: Tensor,
                           value_level_start_index: Tensor, sampling_locations: Tensor,
                           attention_weights: Tensor, im2col_step: int) -> Tensor:
    return _attention(value, value_spatial_shapes, sampling_locations, attention_weights)


def ms_deform_attn_backward(value: Tensor, value_spatial_shapes: Tensor,
                            value_level_start_index: Tensor, sampling_locations: Tensor,
                            attention_weights: Tensor, grad_output: Tensor, grad_value: Tensor,
                            grad_sampling_loc: Tensor, grad_attn_weight: Tensor,
                            im2col_step: int) -> None:
    leaves = (value, sampling_locations, attention_weights)
    inputs = [t.detach().requires_grad_() for t in leaves]
    with torch.enable_grad():
        output = _attention(inputs[0], value_spatial_shapes, inputs[1], inputs[2])
        grads = torch.autograd.grad(output, inputs, grad_output)
    for target, grad in zip((grad_value, grad_sampling_loc, grad_attn_weight), grads):
        target.copy_(grad)
