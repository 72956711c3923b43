"""zoo's losses take both peers' arguments and equal mmdet 3.3.0's and mmpretrain 1.2.0's classes
in each mode (the element-wise and box losses are compared in tests/models/test_det_losses.py)."""
import copy
import warnings

import mmdet.models.losses as mmdet_losses  # needs mmcv's ops (mmdet.models)
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.models.losses import CrossEntropyLoss as MMPretrainCrossEntropyLoss

from zoo.models.losses import CrossEntropyLoss, IoULoss, SmoothL1Loss


def same(ours, theirs, *args, **kwargs):
    torch.testing.assert_close(ours(*args, **kwargs), theirs(*args, **kwargs), rtol=1e-6, atol=1e-7)


def test_mask_cross_entropy_equals_mmdet():
    generator = torch.Generator().manual_seed(0)
    pred = torch.randn(5, 4, 7, 7, generator=generator)
    target = (torch.rand(5, 7, 7, generator=generator) > 0.5).float()
    labels = torch.tensor([0, 3, 1, 1, 2])
    ours = CrossEntropyLoss(use_mask=True, loss_weight=2.0)
    theirs = mmdet_losses.CrossEntropyLoss(use_mask=True, loss_weight=2.0)
    same(ours, theirs, pred, target, labels)
    same(ours, theirs, pred[:, :1], target, torch.zeros(5, dtype=torch.long))  # class-agnostic
    assert ours(pred, target, labels).shape == (1, )
    with pytest.raises(ValueError, match='needs the class of each mask'):
        ours(pred, target)


@pytest.mark.parametrize(
    'options', [
        dict(),
        dict(class_weight=[1.0, 2.0, 0.5, 3.0]),
        dict(use_soft=True),
        dict(use_soft=True, class_weight=[1.0, 2.0, 0.5, 3.0]),
        dict(use_sigmoid=True),
        dict(use_sigmoid=True, class_weight=[1.0, 2.0, 0.5, 3.0]),
        dict(use_sigmoid=True, pos_weight=[2.0, 1.0, 0.5, 4.0]),
        dict(use_sigmoid=True, class_weight=[1.0, 2.0, 0.5, 3.0], pos_weight=[2.0, 1.0, 0.5, 4.0]),
    ],
    ids=lambda o: '-'.join(o) or 'plain')
def test_cross_entropy_equals_mmpretrain(options):
    generator = torch.Generator().manual_seed(1)
    pred = torch.randn(6, 4, generator=generator)
    if options.get('use_soft'):
        target = torch.softmax(torch.randn(6, 4, generator=generator), dim=1)
    elif options.get('use_sigmoid'):
        target = (torch.rand(6, 4, generator=generator) > 0.5).float()
    else:
        target = torch.randint(0, 4, (6, ), generator=generator)
    ours = CrossEntropyLoss(loss_weight=0.5, **options)  # zoo's scope: mmpretrain's meaning
    assert ours.peer == 'mmpretrain'
    theirs = MMPretrainCrossEntropyLoss(loss_weight=0.5, **options)
    for kwargs in [
            dict(),
            dict(weight=torch.rand(6, generator=generator)),
            dict(avg_factor=3.0),
            dict(reduction_override='none'),
            dict(reduction_override='sum')
    ]:
        same(ours, theirs, pred, target, **kwargs)


def test_sigmoid_class_weight_follows_the_scope():
    """mmdet's sigmoid class_weight weighs the positive term, mmpretrain's the whole term."""
    generator = torch.Generator().manual_seed(2)
    pred, labels = torch.randn(8, 3, generator=generator), torch.tensor([0, 1, 2, 3] * 2)
    options = dict(use_sigmoid=True, class_weight=[0.5, 2.0, 1.0])
    with DefaultScope.overwrite_default_scope('mmdet'):
        ours = CrossEntropyLoss(**options)
    assert ours.peer == 'mmdet'
    same(ours, mmdet_losses.CrossEntropyLoss(**options), pred, labels)
    binary = torch.nn.functional.one_hot(labels, 4)[:, :3].float()
    same(CrossEntropyLoss(**options), MMPretrainCrossEntropyLoss(**options), pred, binary)
    assert not torch.allclose(ours(pred, labels), CrossEntropyLoss(**options)(pred, labels))


@pytest.mark.parametrize('options, match', [
    (dict(use_sigmoid=True, use_mask=True), 'use_sigmoid and use_mask exclude each other'),
    (dict(use_soft=True, use_sigmoid=True), 'use_sigmoid and use_soft exclude each other'),
    (dict(pos_weight=[1.0]), 'pos_weight applies to the sigmoid form only'),
    (dict(use_mask=True, ignore_index=255), 'use_mask supports only'),
    (dict(peer='mmseg'), "peer must be one of \\('mmdet', 'mmpretrain'\\)"),
])
def test_cross_entropy_bad_options_are_named(options, match):
    with pytest.raises(ValueError, match=match):
        CrossEntropyLoss(**options)


def test_iou_loss_linear_is_mmdets_deprecated_mode():
    generator = torch.Generator().manual_seed(3)
    target = torch.rand(10, 2, generator=generator) * 20
    target = torch.cat([target, target + 5 + torch.rand(10, 2, generator=generator) * 10], 1)
    pred = target + torch.randn(10, 4, generator=generator)
    with pytest.warns(UserWarning, match='linear=True'):
        ours = IoULoss(linear=True, eps=1e-4, loss_weight=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        theirs = mmdet_losses.IoULoss(linear=True, eps=1e-4, loss_weight=2.0)
    assert ours.mode == theirs.mode == 'linear'
    same(ours, theirs, pred, target)
    same(ours, theirs, pred, target, weight=torch.rand(10, 4, generator=generator))


def test_smooth_l1_is_mmdets_class_in_mmdet_scope():
    """mmdet's DynamicRoIHead asserts isinstance(loss_bbox, mmdet's SmoothL1Loss), then sets
    its beta; elsewhere zoo's class has no mmdet base."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        loss = SmoothL1Loss(beta=0.5, loss_weight=2.0)
    assert isinstance(loss, mmdet_losses.SmoothL1Loss)
    assert not isinstance(SmoothL1Loss(), mmdet_losses.SmoothL1Loss)
    assert type(copy.deepcopy(loss)) is type(loss)
    pred, target = torch.randn(7, 4), torch.randn(7, 4)
    theirs = mmdet_losses.SmoothL1Loss(beta=0.5, loss_weight=2.0)
    same(loss, theirs, pred, target)
    loss.beta = theirs.beta = 0.1  # what the head does during training
    same(loss, theirs, pred, target)
