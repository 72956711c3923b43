"""zoo's detection losses equal mmdet 3.3.0's losses of the same names, values and gradients.

torchvision.ops is a second reference where its conventions match.
"""
import doctest
import importlib

import mmdet.models.losses as mmdet_losses
import pytest
import torch
import torch.nn.functional as F
import torchvision.ops as tv_ops
from mmdet.registry import MODELS as MMDET_MODELS

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.losses import AlignedBoxGeometry, expand_weight
from zoo.registry import MODELS

BOX_LOSSES = {
    'IoULoss': dict(),  # log
    'IoULoss-linear': dict(mode='linear'),
    'IoULoss-square': dict(mode='square'),
    'GIoULoss': dict(),
    'DIoULoss': dict(),
    'CIoULoss': dict(),
}
ELEMENTWISE_LOSSES = {
    'L1Loss': dict(),
    'SmoothL1Loss': dict(beta=0.5),
    'MSELoss': dict(),
}


def build_pair(name: str, options: dict, loss_weight: float = 1.0):
    type_name = name.split('-')[0]
    if type_name == 'CrossEntropyLoss':
        options = dict(options, peer='mmdet')  # mmdet's meaning of a sigmoid class_weight
    ours = MODELS.build(dict(type=type_name, loss_weight=loss_weight, **options))
    options.pop('peer', None)
    theirs = getattr(mmdet_losses, type_name)(loss_weight=loss_weight, **options)
    return ours, theirs


def random_boxes(n: int, seed: int = 0):
    """Pairs that overlap a lot, a little or not at all."""
    generator = torch.Generator().manual_seed(seed)
    centre = torch.rand(n, 2, generator=generator) * 50
    size = torch.rand(n, 2, generator=generator) * 30 + 1
    target = torch.cat([centre - size / 2, centre + size / 2], dim=1)
    # pairs from near-identical to far apart
    shift = torch.randn(n, 2, generator=generator) * torch.linspace(0.5, 40, n)[:, None]
    pred_size = size * torch.exp(torch.randn(n, 2, generator=generator) * 0.4)
    pred = torch.cat([centre + shift - pred_size / 2, centre + shift + pred_size / 2], dim=1)
    return pred, target


def degenerate_boxes():
    """Zero-area and non-overlapping pairs (no identical pairs: see test_identical_boxes)."""
    pred = torch.tensor([
        [10., 10., 10., 20.],  # zero width, inside the target
        [10., 10., 20., 10.],  # zero height
        [5., 5., 5., 5.],  # a point
        [0., 0., 4., 4.],  # far from its target
        [0., 0., 4., 4.],  # touching its target at an edge
        [3., 3., 3., 3.],  # a point against a point elsewhere
        [0., 0., 10., 10.],  # a box against a zero-area target
    ])
    target = torch.tensor([
        [5., 5., 25., 25.],
        [5., 5., 25., 25.],
        [0., 0., 10., 10.],
        [50., 60., 70., 90.],
        [4., 0., 8., 4.],
        [7., 9., 7., 9.],
        [2., 2., 2., 8.],
    ])
    return pred, target


def values_and_grads(loss, pred, target, **kwargs):
    pred = pred.clone().requires_grad_(True)
    value = loss(pred, target, **kwargs)
    value.sum().backward()
    return value.detach(), pred.grad


def assert_same(ours, theirs, pred, target, atol=1e-6, **kwargs):
    value, grad = values_and_grads(ours, pred, target, **kwargs)
    expected, expected_grad = values_and_grads(theirs, pred, target, **kwargs)
    assert torch.isfinite(value).all() and torch.isfinite(grad).all()
    assert value.shape == expected.shape
    torch.testing.assert_close(value, expected, atol=atol, rtol=1e-5)
    torch.testing.assert_close(grad, expected_grad, atol=atol, rtol=1e-5)
    return value


# --- box losses -----------------------------------------------------------------------------


def box_loss_calls(n: int):
    generator = torch.Generator().manual_seed(1)
    per_box = torch.rand(n, generator=generator)
    per_coord = torch.rand(n, 4, generator=generator)
    return {
        'plain': dict(),
        'weight (N,)': dict(weight=per_box),
        'weight (N, 4)': dict(weight=per_coord),
        'avg_factor': dict(weight=per_box, avg_factor=5.0),
        'sum': dict(weight=per_coord, reduction_override='sum'),
        'none': dict(weight=per_box, reduction_override='none'),
        'zero weights': dict(weight=torch.zeros(n)),
    }


@pytest.mark.parametrize('name', list(BOX_LOSSES))
@pytest.mark.parametrize('boxes', ['random', 'degenerate'])
def test_box_losses_equal_mmdet(name, boxes):
    pred, target = random_boxes(24) if boxes == 'random' else degenerate_boxes()
    ours, theirs = build_pair(name, BOX_LOSSES[name], loss_weight=2.0)
    values = [
        assert_same(ours, theirs, pred, target, **kwargs)
        for kwargs in box_loss_calls(len(pred)).values()
    ]
    assert values[0] > 0 and values[-1] == 0
    if boxes == 'degenerate' and name.startswith('IoULoss'):
        # no overlap at all: the IoU floor eps decides the value
        assert values[5].min() > 0


@pytest.mark.parametrize('name', list(BOX_LOSSES) + list(ELEMENTWISE_LOSSES))
def test_empty_input_is_zero_with_a_gradient(name):
    options = {**BOX_LOSSES, **ELEMENTWISE_LOSSES}[name]
    ours, theirs = build_pair(name, options)
    pred, target = torch.zeros(0, 4), torch.zeros(0, 4)
    value = assert_same(ours, theirs, pred, target, weight=torch.zeros(0, 4), avg_factor=0)
    assert value.item() == 0
    # The plain mean of nothing: mmdet's MSELoss and IoU family give NaN, zoo gives 0.
    for kwargs in [dict(), dict(weight=torch.zeros(0))]:
        value, grad = values_and_grads(ours, pred, target, **kwargs)
        assert value.item() == 0 and grad.shape == (0, 4)


@pytest.mark.parametrize('name', ['IoULoss', 'GIoULoss', 'DIoULoss', 'CIoULoss'])
def test_identical_boxes_give_zero_loss_and_finite_gradients(name):
    # Large identical boxes: IoU rounds to exactly 1 and CIoU's alpha would be 0 / 0.
    pred = torch.tensor([[100., 200., 900., 700.], [5., 5., 5., 5.], [1., 2., 3., 4.]])
    value, grad = values_and_grads(MODELS.build(dict(type=name, reduction='none')), pred, pred)
    assert torch.isfinite(grad).all()
    torch.testing.assert_close(value[[0, 2]], torch.zeros(2), atol=1e-5, rtol=0)
    assert torch.isfinite(value[1])  # two identical points: no area, nothing overlaps


@pytest.mark.parametrize('ours_name, tv_loss, eps', [
    ('GIoULoss', tv_ops.generalized_box_iou_loss, 1e-7),
    ('DIoULoss', tv_ops.distance_box_iou_loss, 1e-7),
    ('CIoULoss', tv_ops.complete_box_iou_loss, 1e-7),
])
def test_box_losses_equal_torchvision(ours_name, tv_loss, eps):
    pred, target = random_boxes(128, seed=3)
    ours = MODELS.build(dict(type=ours_name, eps=eps, reduction='none'))
    if ours_name == 'CIoULoss':
        # torchvision weighs the aspect term at every IoU; mmdet and zoo only above IoU 0.5
        keep = AlignedBoxGeometry(pred, target, eps).iou > 0.5
        assert keep.sum() >= 5
        pred, target = pred[keep], target[keep]
    value, grad = values_and_grads(ours, pred, target)
    expected, expected_grad = values_and_grads(
        lambda p, t: tv_loss(p, t, reduction='none', eps=eps), pred, target)
    torch.testing.assert_close(value, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grad, expected_grad, atol=1e-5, rtol=1e-5)


def test_iou_loss_modes():
    pred = torch.tensor([[0., 0., 2., 2.]])
    target = torch.tensor([[0., 0., 2., 1.]])  # IoU 0.5
    values = {
        mode: MODELS.build(dict(type='IoULoss', mode=mode))(pred, target).item()
        for mode in ('log', 'linear', 'square')
    }
    assert values == pytest.approx(dict(log=0.693147, linear=0.5, square=0.75), abs=1e-5)


def test_half_precision_boxes_are_computed_in_float32():
    pred, target = random_boxes(8)
    loss = MODELS.build(dict(type='GIoULoss', reduction='none'))
    torch.testing.assert_close(
        loss(pred.half(), target.half()), loss(pred.half().float(),
                                               target.half().float()))


# --- element-wise regression losses ----------------------------------------------------------


@pytest.mark.parametrize('name', list(ELEMENTWISE_LOSSES))
def test_elementwise_losses_equal_mmdet(name):
    pred, target = random_boxes(16)
    pred, target = pred / 20, target / 20  # both sides of SmoothL1's beta
    ours, theirs = build_pair(name, ELEMENTWISE_LOSSES[name], loss_weight=0.5)
    weight = torch.rand(16, 4, generator=torch.Generator().manual_seed(2))
    for kwargs in [
            dict(),
            dict(weight=weight),
            dict(weight=weight, avg_factor=7.0),
            dict(weight=weight, reduction_override='sum'),
            dict(weight=weight, reduction_override='none'),
            dict(weight=torch.zeros(16, 4))
    ]:
        assert_same(ours, theirs, pred, target, **kwargs)


@pytest.mark.parametrize('name', list(ELEMENTWISE_LOSSES))
def test_weight_per_sample_broadcasts_over_coordinates(name):
    pred, target = random_boxes(6)
    weight = torch.arange(6, dtype=torch.float32)
    loss = MODELS.build(dict(type=name, **ELEMENTWISE_LOSSES[name]))
    torch.testing.assert_close(
        loss(pred, target, weight=weight), loss(pred, target, weight=weight[:, None].expand(6, 4)))


def test_smooth_l1_beta_and_shape_errors():
    with pytest.raises(ValueError, match='beta must be positive'):
        MODELS.build(dict(type='SmoothL1Loss', beta=0))
    with pytest.raises(ValueError, match=r'L1Loss: pred \(3, 4\) and target \(3, 2\)'):
        MODELS.build(dict(type='L1Loss'))(torch.zeros(3, 4), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r'boxes must be \(\.\.\., 4\)'):
        MODELS.build(dict(type='GIoULoss'))(torch.zeros(3, 5), torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r'GIoULoss: a weight of shape \(2,\) does not fit'):
        MODELS.build(dict(type='GIoULoss'))(*random_boxes(3), weight=torch.ones(2))


# --- classification losses --------------------------------------------------------------------


def focal_inputs(n: int = 20, num_classes: int = 5):
    generator = torch.Generator().manual_seed(4)
    logits = torch.randn(n, num_classes, generator=generator) * 2
    labels = torch.randint(0, num_classes + 1, (n, ), generator=generator)  # C: background
    labels[:2] = torch.tensor([0, num_classes])
    return logits, labels


def softmax_inputs():
    """Scores of a softmax head: C + 1 logits, the last for the background (label C)."""
    logits, labels = focal_inputs()
    background = torch.randn(len(logits), 1, generator=torch.Generator().manual_seed(7))
    return torch.cat([logits, background], dim=1), labels


def classification_calls(n: int, num_classes: int):
    generator = torch.Generator().manual_seed(5)
    return [
        dict(),
        dict(weight=torch.rand(n, generator=generator)),
        dict(weight=torch.rand(n, num_classes, generator=generator)),
        dict(weight=torch.rand(n * num_classes, generator=generator)),
        dict(weight=torch.rand(n, generator=generator), avg_factor=3.0),
        dict(reduction_override='none'),
        dict(reduction_override='sum'),
    ]


@pytest.mark.parametrize(
    'options', [dict(), dict(gamma=1.5, alpha=0.5)], ids=['default', 'gamma-alpha'])
@pytest.mark.parametrize('targets', ['indices', 'one-hot'])
def test_focal_loss_equals_mmdet(options, targets):
    logits, labels = focal_inputs()
    target = labels if targets == 'indices' else F.one_hot(labels, 6)[:, :5]
    ours, theirs = build_pair('FocalLoss', dict(use_sigmoid=True, **options), loss_weight=2.0)
    for kwargs in classification_calls(*logits.shape):
        assert_same(ours, theirs, logits, target, **kwargs)


def test_focal_loss_on_probabilities_equals_mmdet():
    logits, labels = focal_inputs()
    ours, theirs = build_pair('FocalLoss', dict(activated=True))
    for kwargs in classification_calls(*logits.shape)[:3]:
        assert_same(ours, theirs, logits.sigmoid(), labels, **kwargs)


def test_focal_loss_equals_torchvision():
    logits, labels = focal_inputs()
    one_hot = F.one_hot(labels, 6)[:, :5].float()
    value, grad = values_and_grads(
        MODELS.build(dict(type='FocalLoss', reduction='none')), logits, labels)
    expected, expected_grad = values_and_grads(
        lambda p, t: tv_ops.sigmoid_focal_loss(p, t, alpha=0.25, gamma=2.0), logits, one_hot)
    torch.testing.assert_close(value, expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(grad, expected_grad, atol=1e-6, rtol=1e-5)


def test_focal_loss_bad_options_and_labels():
    with pytest.raises(ValueError, match='use_sigmoid must be True'):
        MODELS.build(dict(type='FocalLoss', use_sigmoid=False))
    with pytest.raises(ValueError, match='alpha must be in'):
        MODELS.build(dict(type='FocalLoss', alpha=1.5))
    with pytest.raises(ValueError, match=r'class indices must be in \[0, 5\]'):
        MODELS.build(dict(type='FocalLoss'))(torch.zeros(2, 5), torch.tensor([0, 6]))


def test_focal_loss_empty_is_zero():
    value, grad = values_and_grads(
        MODELS.build(dict(type='FocalLoss')), torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    assert value.item() == 0 and grad.shape == (0, 3)


@pytest.mark.parametrize(
    'options', [
        dict(),
        dict(class_weight=[1.0, 2.0, 0.5, 1.0, 3.0, 0.1]),
        dict(ignore_index=2, avg_non_ignore=True),
    ],
    ids=['plain', 'class_weight', 'ignore_index'])
def test_softmax_cross_entropy_equals_mmdet(options):
    logits, labels = softmax_inputs()
    ours, theirs = build_pair('CrossEntropyLoss', options)
    for kwargs in [
            dict(),
            dict(weight=torch.rand(20)),
            dict(avg_factor=4.0),
            dict(reduction_override='none'),
            dict(ignore_index=0)
    ]:
        assert_same(ours, theirs, logits, labels, **kwargs)


@pytest.mark.parametrize(
    'options', [
        dict(),
        dict(class_weight=[1.0, 2.0, 0.5, 1.0, 3.0]),
        dict(ignore_index=3, avg_non_ignore=True),
    ],
    ids=['plain', 'class_weight', 'ignore_index'])
def test_sigmoid_cross_entropy_equals_mmdet(options):
    logits, labels = focal_inputs()
    ours, theirs = build_pair('CrossEntropyLoss', dict(use_sigmoid=True, **options))
    assert ours.use_sigmoid
    for kwargs in classification_calls(20, 5)[:2] + classification_calls(20, 5)[4:]:
        assert_same(ours, theirs, logits, labels, **kwargs)


def test_rpn_and_yolo_style_sigmoid_cross_entropy_equal_mmdet():
    ours, theirs = build_pair('CrossEntropyLoss', dict(use_sigmoid=True))
    generator = torch.Generator().manual_seed(6)
    # RPN: one logit per anchor, label 0 = object, 1 = background
    logits = torch.randn(12, 1, generator=generator)
    labels = torch.randint(0, 2, (12, ), generator=generator)
    assert_same(
        ours, theirs, logits, labels, weight=torch.rand(12, generator=generator), avg_factor=6.0)
    # YOLOv3: soft targets of the prediction's shape, a (B, A, 1) mask as weight
    logits = torch.randn(2, 9, 4, generator=generator)
    targets = torch.rand(2, 9, 4, generator=generator)
    mask = (torch.rand(2, 9, 1, generator=generator) > 0.5).float()
    ours.reduction = theirs.reduction = 'sum'
    assert_same(ours, theirs, logits, targets, weight=mask)


def test_detr_style_tensor_class_weight():
    class_weight = torch.ones(6)
    class_weight[5] = 0.1  # DETRHead builds this tensor: background weighted 0.1
    ours, theirs = build_pair('CrossEntropyLoss', dict(class_weight=class_weight))
    logits, labels = softmax_inputs()
    assert_same(ours, theirs, logits, labels, weight=torch.ones(20), avg_factor=5.0)


def test_cross_entropy_bad_options():
    with pytest.raises(ValueError, match='softmax form only'):
        MODELS.build(dict(type='CrossEntropyLoss', use_sigmoid=True, label_smoothing=0.1))


# --- weights, registry, docs ------------------------------------------------------------------


def test_expand_weight_shapes():
    loss = torch.zeros(3, 4)
    assert expand_weight(torch.ones(3), loss).shape == (3, 1)
    assert expand_weight(torch.ones(12), loss).shape == (3, 4)
    assert expand_weight(torch.ones(3, 1), loss).shape == (3, 1)
    per_box = expand_weight(torch.tensor([[1., 3., 1., 3.], [0., 0., 0., 4.]]), torch.zeros(2))
    torch.testing.assert_close(per_box, torch.tensor([2., 1.]))
    with pytest.raises(ValueError, match=r'weight of shape \(5,\) does not fit a loss of shape'):
        expand_weight(torch.ones(5), loss)


@pytest.mark.parametrize('name', [
    'L1Loss', 'MSELoss', 'SmoothL1Loss', 'IoULoss', 'GIoULoss', 'DIoULoss', 'CIoULoss', 'FocalLoss',
    'CrossEntropyLoss'
])
def test_reachable_from_mmdet_scope(name):
    loss = MMDET_MODELS.build(dict(type=f'zoo.{name}', loss_weight=3.0))
    assert isinstance(loss, MODELS.get(name)) and loss.loss_weight == 3.0


@pytest.mark.parametrize(
    'module',
    ['iou_loss', 'focal_loss', 'cross_entropy_loss', 'smooth_l1_loss', 'mse_loss', 'utils'])
def test_docstring_examples(module):
    result = doctest.testmod(
        importlib.import_module(f'zoo.models.losses.{module}'),
        optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
