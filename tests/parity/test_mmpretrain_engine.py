"""zoo's Lamb optimizer, RepeatAugSampler and data sets against mmpretrain 1.2.0's, and
MMEngine's EMAHook on a zoo model."""
import os.path as osp

import numpy as np
import pytest
import torch

from tests.parity.mmpretrain_sweep import write_cifar, write_imagenet, write_mnist
from tests.parity.peers import mmpretrain_build, zoo_build


@pytest.mark.parametrize('kwargs', [
    dict(lr=0.005, weight_decay=0.02),
    dict(lr=0.01, weight_decay=0.0, max_grad_norm=0.1, always_adapt=True),
    dict(lr=0.01, trust_clip=True, bias_correction=False, grad_averaging=False),
])
def test_lamb_equals_mmpretrain(kwargs):
    from mmpretrain.engine.optimizers import Lamb as PeerLamb

    from zoo.engine.optimizers import Lamb
    assert zoo_build('OPTIMIZERS', dict(type='Lamb', params=[torch.zeros(1)])).__class__ is Lamb
    models = []
    for optimizer_type in (PeerLamb, Lamb):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
        optimizer = optimizer_type(model.parameters(), **kwargs)
        for step in range(4):
            x = torch.randn(8, 6, generator=torch.Generator().manual_seed(step))
            optimizer.zero_grad()
            (model(x).square().sum() * (step + 1)).backward()
            optimizer.step()
        models.append(model)
    for expected, actual in zip(*(m.parameters() for m in models)):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)


@pytest.mark.parametrize('kwargs', [
    dict(shuffle=True, seed=3),
    dict(shuffle=False, seed=0),
    dict(shuffle=True, seed=1, num_repeats=2)
])
def test_repeat_aug_sampler_equals_mmpretrain(kwargs):
    dataset = list(range(11))
    peer = mmpretrain_build('DATA_SAMPLERS',
                            dict(type='RepeatAugSampler', dataset=dataset, **kwargs))
    ours = zoo_build('DATA_SAMPLERS', dict(type='RepeatAugSampler', dataset=dataset, **kwargs))
    for epoch in range(3):
        peer.set_epoch(epoch)
        ours.set_epoch(epoch)
        assert list(ours) == list(peer) and len(ours) == len(peer)


def test_imagenet_layout_and_names(tmp_path):
    from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
    root = write_imagenet(str(tmp_path / 'imagenet'))
    for split in ('train', 'val'):
        ours = zoo_build('DATASETS', dict(type='ImageNet', data_root=root, split=split))
        peer = mmpretrain_build('DATASETS', dict(type='ImageNet', data_root=root, split=split))
        assert len(ours) == len(peer) > 0
        for i in range(len(ours)):
            assert ours.get_data_info(i)['img_path'] == peer.get_data_info(i)['img_path']
            assert int(ours.get_data_info(i)['gt_label']) == int(peer.get_data_info(i)['gt_label'])
        assert ours.metainfo['classes'] == IMAGENET_CATEGORIES


def test_imagenet_folder_layout_needs_all_classes(tmp_path):
    root = write_imagenet(str(tmp_path / 'imagenet'))
    with pytest.raises(
            ValueError,
            match="ImageNet: .*train' holds 2 class folders but the data "
            'set has 1000 classes; give an ann_file'):
        zoo_build('DATASETS', dict(type='ImageNet', data_prefix=osp.join(root, 'train')))


@pytest.mark.parametrize('cfg, match', [
    (dict(type='ImageNet', split='test'), "ImageNet: split must be one of \\('train', 'val'\\)"),
    (dict(type='ImageNet', split='train', with_label=False), 'with_label=False.*not supported'),
    (dict(type='ImageNet21k', split='train', multi_label=True), 'multi_label=True is not'),
])
def test_imagenet_unsupported_options(tmp_path, cfg, match):
    root = write_imagenet(str(tmp_path / 'imagenet'))
    with pytest.raises(ValueError, match=match):
        zoo_build('DATASETS', dict(cfg, data_root=root))


@pytest.mark.parametrize('hundred', [False, True])
def test_cifar_in_mmpretrain_layout(tmp_path, hundred):
    root = write_cifar(str(tmp_path / 'cifar'), hundred=hundred)
    kind = 'CIFAR100' if hundred else 'CIFAR10'
    train = zoo_build('DATASETS', dict(type=kind, data_root=root, split='train'))
    test = zoo_build('DATASETS', dict(type=kind, data_prefix=root, split='test', test_mode=True))
    assert len(train) == 6 and len(test) == 2
    assert len(train.metainfo['classes']) == (100 if hundred else 10)
    assert train.get_data_info(0)['img'].shape == (32, 32, 3)


def test_mnist_equals_mmpretrain_reading(tmp_path):
    root = write_mnist(str(tmp_path / 'mnist'))
    for test_mode in (False, True):
        cfg = dict(type='MNIST', data_prefix=root, test_mode=test_mode)
        ours = zoo_build('DATASETS', cfg)
        peer = mmpretrain_build('DATASETS', dict(cfg, download=False))
        assert len(ours) == len(peer)
        for i in range(len(ours)):
            np.testing.assert_array_equal(
                ours.get_data_info(i)['img'],
                peer.get_data_info(i)['img'])
            assert ours.get_data_info(i)['gt_label'] == int(peer.get_data_info(i)['gt_label'])


def test_ema_hook_averages_a_zoo_model(tmp_path):
    """MMEngine's EMAHook (the ViT MAE-finetune recipe's) wraps a zoo classifier and swaps
    the averaged weights in for validation."""
    from mmengine.hooks import EMAHook
    from mmengine.model import ExponentialMovingAverage
    model = zoo_build(
        'MODELS',
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=512)))
    ema = ExponentialMovingAverage(model, momentum=0.5)
    ema.update_parameters(model)  # the first update copies
    before = {k: v.clone() for k, v in ema.module.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.update_parameters(model)
    for key in ('head.fc.bias', 'backbone.conv1.weight'):
        torch.testing.assert_close(ema.module.state_dict()[key], before[key] + 0.5)
    assert zoo_build('HOOKS', dict(type='EMAHook', momentum=1e-4)).__class__ is EMAHook


@pytest.mark.parametrize('split', ['train', 'test'])
def test_cub_equals_mmpretrain(tmp_path, split):
    from tests.parity.mmpretrain_sweep import write_cub
    root = write_cub(str(tmp_path / 'cub'))
    ours = zoo_build('DATASETS', dict(type='CUB', data_root=root, split=split))
    peer = mmpretrain_build('DATASETS', dict(type='CUB', data_root=root, split=split))
    assert [ours.get_data_info(i)['img_path'] for i in range(len(ours))
            ] == [peer.get_data_info(i)['img_path'] for i in range(len(peer))]
    assert [ours.get_data_info(i)['gt_label'] for i in range(len(ours))
            ] == [peer.get_data_info(i)['gt_label'] for i in range(len(peer))]
    assert ours.metainfo['classes'] == peer.metainfo['classes']


def test_precise_bn_equals_mmpretrain():
    """The BN statistics after PreciseBN equal mmpretrain's update_bn_stats on the same batches."""
    from mmpretrain.engine.hooks.precise_bn_hook import update_bn_stats as peer_update
    from torch.utils.data import DataLoader

    from zoo.engine.hooks.precise_bn_hook import update_bn_stats
    from zoo.structures import ClsDataSample
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=512))
    data = [
        dict(
            inputs=torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8),
            data_samples=ClsDataSample().set_gt_label(i % 3)) for i in range(8)
    ]
    loader = DataLoader(
        data,
        batch_size=2,
        collate_fn=lambda batch: dict(
            inputs=[b['inputs'] for b in batch], data_samples=[b['data_samples'] for b in batch]))
    states = []
    for update in (peer_update, update_bn_stats):
        torch.manual_seed(0)
        model = zoo_build('MODELS', cfg).train()
        update(model, loader, num_samples=6)
        states.append(model.state_dict())
    for key in states[0]:
        torch.testing.assert_close(states[1][key], states[0][key])
    assert zoo_build('HOOKS', dict(type='PreciseBNHook', num_samples=8192, interval=1))
    with pytest.raises(ValueError, match='PreciseBNHook: interval and num_samples must be'):
        zoo_build('HOOKS', dict(type='PreciseBNHook', num_samples=0))
