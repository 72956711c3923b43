"""Sigmoid and softmax focal loss, forward and backward, with mmcv 2.1.0's formulas.

mmcv has these only as CUDA kernels (its CPU build raises); here they are the kernels'
element-wise formulas in tensor ops, so they run on any device: p = 1 / (1 + exp(-x)), logs
clamped at FLT_MIN, the analytic gradients, and the optional weight indexed by the target.
"""
import torch
from torch import Tensor

FLT_MIN = torch.finfo(torch.float32).tiny


def _sigmoid_terms(input: Tensor, target: Tensor):
    classes = torch.arange(input.size(1), device=input.device)
    positive = target[:, None] == classes
    p = 1. / (1. + torch.exp(-input))
    return positive, p


def _weighted(values: Tensor, weight: Tensor, target: Tensor) -> Tensor:
    return values * weight[target][:, None] if weight.numel() > 0 else values


def sigmoid_focal_loss_forward(input: Tensor, target: Tensor, weight: Tensor, output: Tensor,
                               gamma: float, alpha: float) -> None:
    positive, p = _sigmoid_terms(input, target)
    term_p = (1. - p).pow(gamma) * torch.log(p.clamp(min=FLT_MIN))
    term_n = p.pow(gamma) * torch.log((1. - p).clamp(min=FLT_MIN))
    loss = torch.where(positive, -alpha * term_p, -(1. - alpha) * term_n)
    output.copy_(_weighted(loss, weight, target))


def sigmoid_focal_loss_backward(input: Tensor, target: Tensor, weight: Tensor, grad_input: Tensor,
                                gamma: float, alpha: float) -> None:
    positive, p = _sigmoid_terms(input, target)
    term_p = (1. - p).pow(gamma) * (1. - p - gamma * p * torch.log(p.clamp(min=FLT_MIN)))
    term_n = p.pow(gamma) * (gamma * (1. - p) * torch.log((1. - p).clamp(min=FLT_MIN)) - p)
    grad = torch.where(positive, -alpha * term_p, -(1. - alpha) * term_n)
    grad_input.copy_(_weighted(grad, weight, target))


def _label_probability(softmax: Tensor, target: Tensor):
    valid = target >= 0
    label = target.clamp(min=0)
    return valid, label, softmax.gather(1, label[:, None]).squeeze(1)


def _per_sample_weight(values: Tensor, weight: Tensor, label: Tensor) -> Tensor:
    return values * weight[label] if weight.numel() > 0 else values


def softmax_focal_loss_forward(softmax: Tensor, target: Tensor, weight: Tensor, output: Tensor,
                               gamma: float, alpha: float) -> None:
    valid, label, pred = _label_probability(softmax, target)
    loss = -alpha * (1. - pred).pow(gamma) * torch.log(pred.clamp(min=FLT_MIN))
    output.copy_(_per_sample_weight(torch.where(valid, loss, 0.), weight, label))


def softmax_focal_loss_backward(softmax: Tensor, target: Tensor, weight: Tensor, buff: Tensor,
                                grad_input: Tensor, gamma: float, alpha: float) -> None:
    valid, label, pred = _label_probability(softmax, target)
    buff.copy_(
        _per_sample_weight(
            torch.where(
                valid,
                alpha * (-(1. - pred).pow(gamma) + gamma *
                         (1. - pred).pow(gamma - 1) * pred * torch.log(pred.clamp(min=FLT_MIN))),
                0.), weight, label))
    one_hot = torch.nn.functional.one_hot(label, softmax.size(1)).to(softmax.dtype)
    grad_input.copy_(torch.where(valid[:, None], buff[:, None] * (one_hot - softmax), 0.))
