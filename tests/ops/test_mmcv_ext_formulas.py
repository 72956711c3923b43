"""The ops compiled mmcv has only as CUDA kernels (focal losses, RoIPool) or only calls on CUDA
(multi-scale deformable attention), checked through mmcv.ops on the CPU against the formulas
mmcv and mmdet use: mmdet's pure-PyTorch focal loss, a direct transcription of mmcv's RoIPool
CUDA kernel, and mmcv's own PyTorch deformable attention with autograd."""
import importlib.util
import math

import pytest
import torch
from mmcv.ops import roi_pool, sigmoid_focal_loss, softmax_focal_loss
from mmcv.ops.multi_scale_deform_attn import (MultiScaleDeformableAttnFunction,
                                              multi_scale_deformable_attn_pytorch)

import zoo  # noqa: F401  (installs the mmcv._ext finder)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('mmcv._ext').origin != 'zoo.mmcv_ext',
    reason='compiled mmcv 2.1.0 has no CPU kernels for these ops')
gen = torch.Generator().manual_seed(0)
FLOAT32_TOLERANCE = dict(atol=1e-6, rtol=1e-5)  # same formula, other float32 op order
# mmcv's kernel takes log(1 - sigmoid(x)) in float32 where mmdet's BCE-with-logits is exact:
# the error grows as 1 - p shrinks, about 1e-3 at x = 9; logits here stay below 7
SIGMOID_TOLERANCE = dict(atol=1e-4, rtol=1e-4)


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape, generator=gen) * scale).requires_grad_()


@pytest.mark.parametrize('gamma, alpha', [(2.0, 0.25), (1.5, 0.5)])
def test_sigmoid_focal_loss_is_mmdets_formula(gamma, alpha):
    from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss
    logits = leaf(40, 5, scale=2)
    target = torch.randint(0, 6, (40, ), generator=gen)  # 5 = background, as mmdet passes it
    loss = sigmoid_focal_loss(logits, target, gamma, alpha, None, 'none')
    grad, = torch.autograd.grad(loss.sum(), logits)
    one_hot = torch.nn.functional.one_hot(target, 6)[:, :5].float()
    expected = py_sigmoid_focal_loss(logits, one_hot, gamma=gamma, alpha=alpha, reduction='none')
    expected_grad, = torch.autograd.grad(expected.sum(), logits)
    torch.testing.assert_close(loss, expected, **SIGMOID_TOLERANCE)
    torch.testing.assert_close(grad, expected_grad, **SIGMOID_TOLERANCE)


def test_sigmoid_focal_loss_weight_is_per_target_class():
    logits, target = leaf(8, 3), torch.randint(0, 3, (8, ), generator=gen)
    weight = torch.tensor([0.5, 2.0, 1.0])
    plain = sigmoid_focal_loss(logits, target, 2.0, 0.25, None, 'none')
    weighted = sigmoid_focal_loss(logits, target, 2.0, 0.25, weight, 'none')
    torch.testing.assert_close(weighted, plain * weight[target][:, None])


def test_softmax_focal_loss_is_the_formula():
    logits = leaf(30, 6, scale=2)
    target = torch.randint(0, 6, (30, ), generator=gen)
    weight = torch.rand(6, generator=gen) + 0.5
    gamma, alpha = 2.0, 0.25
    p = logits.softmax(1).gather(1, target[:, None]).squeeze(1)
    expected = -alpha * (1 - p)**gamma * p.log() * weight[target]
    loss = softmax_focal_loss(logits, target, gamma, alpha, weight, 'none')
    torch.testing.assert_close(loss, expected, **FLOAT32_TOLERANCE)
    # mmcv's backward multiplies (N, C) by grad_output: only a scalar loss has a gradient
    for reduction in ('mean', 'sum'):
        loss = softmax_focal_loss(logits, target, gamma, alpha, weight, reduction)
        reduced = getattr(expected, reduction)()
        torch.testing.assert_close(loss, reduced, **FLOAT32_TOLERANCE)
        torch.testing.assert_close(
            torch.autograd.grad(loss, logits)[0],
            torch.autograd.grad(reduced, logits, retain_graph=True)[0], **FLOAT32_TOLERANCE)


def roi_pool_kernel(feats, rois, pooled, scale):
    """mmcv's roi_pool_forward_cuda_kernel, one output element at a time."""
    out = torch.zeros(len(rois), feats.size(1), pooled, pooled)
    argmax = torch.zeros(out.shape, dtype=torch.long)
    f32 = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    height, width = feats.shape[-2:]
    for n, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        rx1, ry1 = f32(x1) * scale, f32(y1) * scale
        rx2, ry2 = (f32(x2) + 1) * scale, (f32(y2) + 1) * scale
        roi_w, roi_h = rx2 - rx1, ry2 - ry1
        if roi_w <= 0 or roi_h <= 0:
            continue
        bin_w, bin_h = roi_w / pooled, roi_h / pooled
        for c in range(feats.size(1)):
            for ph in range(pooled):
                for pw in range(pooled):
                    wx1 = min(max(math.floor(f32(pw) * bin_w + rx1), 0), width)
                    wy1 = min(max(math.floor(f32(ph) * bin_h + ry1), 0), height)
                    wx2 = min(max(math.ceil(f32(pw + 1) * bin_w + rx1), 0), width)
                    wy2 = min(max(math.ceil(f32(ph + 1) * bin_h + ry1), 0), height)
                    empty = wy2 <= wy1 or wx2 <= wx1
                    best, best_idx = (0.0 if empty else -math.inf), -1
                    for h in range(wy1, wy2):
                        for w in range(wx1, wx2):
                            if feats[int(b), c, h, w] > best:
                                best, best_idx = float(feats[int(b), c, h, w]), h * width + w
                    out[n, c, ph, pw], argmax[n, c, ph, pw] = best, best_idx
    return out, argmax


def test_roi_pool_is_mmcvs_kernel():
    feats = leaf(2, 2, 10, 12)
    rois = torch.tensor([[0, 1.0, 2.0, 14.0, 9.0], [1, -3.0, -2.0, 6.0, 5.0],
                         [0, 15.0, 12.0, 30.0, 25.0], [1, 4.2, 4.1, 4.3, 4.2],
                         [0, 8.0, 8.0, 6.0, 9.0]])  # inside, partly out, off the map, tiny,
    out = roi_pool(feats, rois, 3, 0.5)  # and malformed (x2 < x1: skipped by the kernel)
    expected, argmax = roi_pool_kernel(feats.detach(), rois, 3, 0.5)
    torch.testing.assert_close(out, expected, atol=0, rtol=0)
    grad_out = torch.randn(out.shape, generator=gen)
    grad, = torch.autograd.grad(out, feats, grad_out)
    expected_grad = torch.zeros_like(feats).view(2, 2, -1)
    for n, c, ph, pw in torch.nonzero(argmax >= 0).tolist():
        expected_grad[int(rois[n, 0]), c, argmax[n, c, ph, pw]] += grad_out[n, c, ph, pw]
    torch.testing.assert_close(grad, expected_grad.view_as(feats), atol=1e-6, rtol=0)


def test_multi_scale_deformable_attention_function_is_mmcvs_pytorch_path():
    """The CUDA entry point (what MultiScaleDeformableAttention calls for CUDA tensors)."""
    shapes = torch.tensor([[6, 8], [3, 4]])
    starts = torch.cat([shapes.new_zeros(1), shapes.prod(1).cumsum(0)[:-1]])
    value = leaf(2, int(shapes.prod(1).sum()), 2, 4)
    locations = torch.rand(2, 5, 2, 2, 3, 2, generator=gen).requires_grad_()
    weights = torch.rand(2, 5, 2, 2, 3, generator=gen).softmax(-1).requires_grad_()
    out = MultiScaleDeformableAttnFunction.apply(value, shapes, starts, locations, weights, 64)
    expected = multi_scale_deformable_attn_pytorch(value, shapes, locations, weights)
    torch.testing.assert_close(out, expected, atol=0, rtol=0)
    grad_out = torch.randn(out.shape, generator=gen)
    grads = torch.autograd.grad(out, (value, locations, weights), grad_out)
    expected_grads = torch.autograd.grad(expected, (value, locations, weights), grad_out)
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad, atol=0, rtol=0)
