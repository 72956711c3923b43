"""zoo's backbone, FPN and losses inside a real mmdet detector, from an mmdet-scoped config."""
import copy
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import get_torchvision_models
from mmengine.structures import InstanceData

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.backbones import ResNet
from zoo.models.losses import FocalLoss, GIoULoss
from zoo.models.necks import FPN

register_all_modules(init_default_scope=False)

# mmdet's RetinaNet recipe, small: ResNet-18, a 32-channel FPN from C3 with two extra levels
# on the input, GIoU on decoded boxes.
RETINANET = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='zoo.ResNet',
        depth=18,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_eval=True,
        init_cfg=None),
    neck=dict(
        type='zoo.FPN',
        in_channels=[64, 128, 256, 512],
        out_channels=32,
        start_level=1,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=3,
        in_channels=32,
        stacked_convs=1,
        feat_channels=32,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0] * 4, target_stds=[1.0] * 4),
        reg_decoded_bbox=True,
        loss_cls=dict(
            type='zoo.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='zoo.GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=100,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=10))


def build(cfg: dict):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MMDET_MODELS.build(ConfigDict(copy.deepcopy(cfg)))


def mmdet_only(cfg: dict) -> dict:
    """The same detector from mmdet's own ResNet, FPN and losses."""
    cfg = copy.deepcopy(cfg)
    cfg['backbone'] = dict(
        type='ResNet', depth=18, out_indices=(0, 1, 2, 3), frozen_stages=1, norm_eval=True)
    cfg['neck']['type'] = 'FPN'
    cfg['bbox_head']['loss_cls']['type'] = 'FocalLoss'
    cfg['bbox_head']['loss_bbox']['type'] = 'GIoULoss'
    return cfg


def batch(model):
    """One 64x64 image with two ground-truth boxes, through the detector's preprocessor."""
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=generator)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1.0, 1.0), pad_shape=(64, 64)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[4., 6., 34., 40.], [20., 10., 60., 52.]]),
        labels=torch.tensor([0, 2]))
    return model.data_preprocessor(dict(inputs=[image], data_samples=[sample]), training=True)


def test_retinanet_with_zoo_parts_trains_and_predicts():
    torch.manual_seed(0)
    model = build(RETINANET)
    model.init_weights()
    assert isinstance(model.backbone, ResNet) and isinstance(model.neck, FPN)
    assert isinstance(model.bbox_head.loss_cls, FocalLoss)
    assert isinstance(model.bbox_head.loss_bbox, GIoULoss)

    model.train()
    losses = model(**batch(model), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    total = sum(sum(v) if isinstance(v, list) else v for v in losses.values())
    assert torch.isfinite(total)
    assert sum(losses['loss_bbox']) > 0, 'no anchor matched a ground truth'
    total.backward()
    for name, param in model.named_parameters():
        frozen = name.startswith(('backbone.conv1', 'backbone.bn1', 'backbone.layer1.'))
        assert param.requires_grad is not frozen, name
        if not frozen:
            assert param.grad is not None, f'{name} got no gradient'
    assert model.neck.fpn_convs[-1].conv.weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        data = batch(model)
        result, = model(data['inputs'], data['data_samples'], mode='predict')
    assert result.pred_instances.bboxes.shape[1] == 4


def test_retinanet_losses_equal_mmdet_parts_given_the_same_weights():
    """An mmdet RetinaNet checkpoint loads into the zoo-part detector, which then computes the
    same losses: the state dicts are the same, key for key."""
    torch.manual_seed(0)
    theirs = build(mmdet_only(RETINANET))
    theirs.init_weights()
    ours = build(RETINANET)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.load_state_dict(ours.state_dict(), strict=True)

    ours.train(), theirs.train()
    our_losses = ours(**batch(ours), mode='loss')
    their_losses = theirs(**batch(theirs), mode='loss')
    for key, value in their_losses.items():
        torch.testing.assert_close(sum(our_losses[key]), sum(value), atol=1e-5, rtol=1e-5)


def test_resnet_pretrained_from_a_local_path_in_an_mmdet_config(tmp_path):
    import torchvision
    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()  # with fc.*, as published
    path = tmp_path / 'resnet18.pth'
    torch.save(state, path)
    backbone = build(
        dict(
            type='zoo.ResNet',
            depth=18,
            out_indices=(0, 1, 2, 3),
            init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    backbone.init_weights()
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_resnet_torchvision_scheme_reads_the_torch_hub_cache(tmp_path, monkeypatch):
    """``checkpoint='torchvision://resnet18'`` (mmdet's configs) reads
    ``$TORCH_HOME/hub/checkpoints/<file>`` when it is there; offline, put the file there."""
    import torchvision
    torch.manual_seed(1)
    state = torchvision.models.resnet18(weights=None).state_dict()
    file_name = osp.basename(get_torchvision_models()['resnet18'])
    (tmp_path / 'hub' / 'checkpoints').mkdir(parents=True)
    torch.save(state, tmp_path / 'hub' / 'checkpoints' / file_name)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    backbone = build(
        dict(
            type='zoo.ResNet',
            depth=18,
            init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')))
    backbone.init_weights()
    assert torch.equal(backbone.conv1.weight, state['conv1.weight'])
    assert torch.equal(backbone.layer4[1].bn2.running_var, state['layer4.1.bn2.running_var'])


def test_a_missing_checkpoint_is_named(tmp_path):
    backbone = build(
        dict(
            type='zoo.ResNet',
            depth=18,
            init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'no.pth'))))
    with pytest.raises(FileNotFoundError, match='no.pth'):
        backbone.init_weights()
