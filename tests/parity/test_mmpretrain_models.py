"""zoo's recipe model parts against mmpretrain 1.2.0's: batch augmentations, the data
preprocessor, LabelSmoothLoss, the heads and the neck."""
import pytest
import torch
import torch.nn.functional as F

from tests.parity.peers import mmpretrain_build, seed_all, zoo_build

BATCH_AUGMENTS = [
    dict(type='Mixup', alpha=0.8),
    dict(type='Mixup', alpha=0.2),
    dict(type='CutMix', alpha=1.0),
    dict(type='CutMix', alpha=1.0, correct_lam=False),
    dict(type='CutMix', alpha=1.0, cutmix_minmax=[0.2, 0.8]),
    dict(type='ResizeMix', alpha=1.0),
    dict(type='ResizeMix', alpha=1.0, lam_min=0.3, interpolation='bicubic'),
]


def _batch(seed=0, n=6, classes=10):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 24, 20, generator=generator)
    scores = F.one_hot(torch.randint(0, classes, (n, ), generator=generator), classes)
    return inputs, scores


@pytest.mark.parametrize('cfg', BATCH_AUGMENTS, ids=lambda c: c['type'])
def test_batch_augment_equals_mmpretrain(cfg):
    ours = zoo_build('BATCH_AUGMENTS', cfg)
    peer = mmpretrain_build('BATCH_AUGMENTS', cfg)
    for seed in range(8):
        inputs, scores = _batch(seed)
        seed_all(seed)
        expected = peer(inputs.clone(), scores.clone())
        seed_all(seed)
        actual = ours(inputs.clone(), scores.clone())
        for a, e in zip(actual, expected):
            torch.testing.assert_close(a, e, rtol=0, atol=0)
        assert not actual[0].equal(inputs)  # something was mixed


PREPROCESSORS = [
    dict(num_classes=10, mean=[125.3, 123.0, 113.9], std=[51.6, 50.8, 51.3], to_rgb=False),
    dict(
        num_classes=10,
        mean=[123.7, 116.3, 103.5],
        std=[58.4, 57.1, 57.4],
        to_rgb=True,
        batch_augments=dict(
            augments=[dict(type='Mixup', alpha=0.8),
                      dict(type='CutMix', alpha=1.0)])),
    dict(
        num_classes=10,
        to_onehot=True,
        batch_augments=dict(augments=dict(type='Mixup', alpha=0.2), probs=0.5)),
]


@pytest.mark.parametrize('cfg', PREPROCESSORS)
def test_data_preprocessor_equals_mmpretrain(cfg):
    cfg = dict(type='ClsDataPreprocessor', **cfg)
    ours, peer = zoo_build('MODELS', cfg), mmpretrain_build('MODELS', cfg)
    from mmpretrain.structures import DataSample

    from zoo.structures import ClsDataSample
    for seed in range(6):
        generator = torch.Generator().manual_seed(seed)
        images = [
            torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8, generator=generator)
            for _ in range(4)
        ]
        labels = torch.randint(0, 10, (4, ), generator=generator).tolist()
        results = []
        stacked = seed % 2 == 1  # default_collate's batch tensor, else pseudo_collate's list
        for model, sample_type in ((peer, DataSample), (ours, ClsDataSample)):
            data = dict(
                inputs=torch.stack(images) if stacked else [i.clone() for i in images],
                data_samples=[sample_type().set_gt_label(label) for label in labels])
            seed_all(seed)
            results.append(model(data, training=True))
        expected, actual = results
        torch.testing.assert_close(actual['inputs'], expected['inputs'])
        for a, e in zip(actual['data_samples'], expected['data_samples']):
            assert a.gt_label.equal(e.gt_label)
            assert ('gt_score' in a) == ('gt_score' in e)
            if 'gt_score' in e:
                torch.testing.assert_close(a.gt_score.float(), e.gt_score.float())


def test_grayscale_and_padded_batches_equal_mmpretrain():
    """to_rgb on one-channel images is no flip in either; images of different sizes are padded
    to a multiple of pad_size_divisor alike, and a stacked batch is padded alike."""
    cfg = dict(
        type='ClsDataPreprocessor', mean=[127.5], std=[64.0], to_rgb=True, pad_size_divisor=4)
    ours, peer = zoo_build('MODELS', cfg), mmpretrain_build('MODELS', cfg)
    generator = torch.Generator().manual_seed(0)
    images = [
        torch.randint(0, 256, (1, h, w), dtype=torch.uint8, generator=generator)
        for h, w in ((10, 9), (7, 12), (10, 9))
    ]
    for inputs in (images, torch.stack([images[0], images[2]])):
        expected = peer(dict(inputs=inputs), training=False)['inputs']
        actual = ours(dict(inputs=inputs), training=False)['inputs']
        assert actual.shape == expected.shape
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)


LABEL_SMOOTH = [
    dict(label_smooth_val=0.1),
    dict(label_smooth_val=0.1, mode='original', num_classes=7),
    dict(label_smooth_val=0.1, mode='classy_vision'),
    dict(label_smooth_val=0.2, mode='multi_label'),
    dict(label_smooth_val=0.2, mode='multi_label', use_sigmoid=False),
    dict(label_smooth_val=0.1, mode='original', use_sigmoid=True),
    dict(label_smooth_val=0.1, reduction='sum', loss_weight=2.0),
    dict(label_smooth_val=0.1, reduction='none', class_weight=[1, 2, 3, 1, 1, 1, 0.5]),
    dict(
        label_smooth_val=0.1,
        use_sigmoid=True,
        pos_weight=[1, 2, 3, 1, 1, 1, 0.5],
        class_weight=[1, 1, 2, 1, 1, 1, 1]),
]


@pytest.mark.parametrize('cfg', LABEL_SMOOTH)
def test_label_smooth_loss_equals_mmpretrain(cfg):
    cfg = dict(type='LabelSmoothLoss', **cfg)
    ours, peer = zoo_build('MODELS', cfg), mmpretrain_build('MODELS', cfg)
    generator = torch.Generator().manual_seed(0)
    pred = torch.randn(5, 7, generator=generator, requires_grad=True)
    labels = torch.randint(0, 7, (5, ), generator=generator)
    mixed = 0.7 * F.one_hot(labels, 7) + 0.3 * F.one_hot(labels.flip(0), 7)
    weight = torch.rand(5, generator=generator)
    calls = [dict(target=labels), dict(target=mixed), dict(target=labels, weight=weight)]
    if cfg.get('reduction', 'mean') == 'mean':
        calls += [dict(target=labels, avg_factor=5), dict(target=labels, reduction_override='sum')]
    for call in calls:
        call = dict(call)
        target = call.pop('target')
        expected = peer(pred, target, **call)
        actual = ours(pred, target, **call)
        torch.testing.assert_close(actual, expected)
        grad_expected, = torch.autograd.grad(expected.sum(), pred)
        grad_actual, = torch.autograd.grad(actual.sum(), pred)
        torch.testing.assert_close(grad_actual, grad_expected)


@pytest.mark.parametrize('cfg, match', [
    (dict(label_smooth_val=1.0), r'label_smooth_val must be a number in \[0, 1\)'),
    (dict(label_smooth_val=0.1, mode='timm'), "LabelSmoothLoss: mode must be one of.*"
     "'classy_vision'"),
    (dict(label_smooth_val=0.1, pos_weight=[1.0]), 'pos_weight applies to the sigmoid form'),
])
def test_label_smooth_loss_rejects_bad_arguments(cfg, match):
    with pytest.raises(ValueError, match=match):
        zoo_build('MODELS', dict(type='LabelSmoothLoss', **cfg))


def test_label_smooth_loss_checks_num_classes():
    loss = zoo_build('MODELS', dict(type='LabelSmoothLoss', label_smooth_val=0.1, num_classes=5))
    with pytest.raises(ValueError, match='num_classes is 5 but the prediction has 7'):
        loss(torch.randn(2, 7), torch.tensor([0, 1]))


HEADS = [
    dict(type='ClsHead', topk=(1, 5)),
    dict(
        type='LinearClsHead',
        num_classes=7,
        in_channels=12,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original', use_sigmoid=True)),
    dict(
        type='LinearClsHead',
        num_classes=7,
        in_channels=12,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True)),
    dict(type='MultiLabelClsHead'),
    dict(
        type='MultiLabelClsHead',
        topk=2,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='multi_label')),
    dict(type='MultiLabelLinearClsHead', num_classes=7, in_channels=12, thr=0.4),
]

# mmpretrain's sigmoid CrossEntropyLoss takes one-hot scores only (its recipes pair it with
# Mixup/CutMix), so that head is compared on scores alone.
HEAD_CASES = [
    (cfg, scores) for cfg in HEADS for scores in (False, True)
    if scores or not (cfg['type'] == 'LinearClsHead' and cfg['loss']['type'] == 'CrossEntropyLoss')
]


@pytest.mark.parametrize(
    'cfg, scores', HEAD_CASES, ids=lambda v: v['type'] if isinstance(v, dict) else str(v))
def test_head_loss_and_predict_equal_mmpretrain(cfg, scores):
    from mmpretrain.structures import DataSample

    from zoo.structures import ClsDataSample
    channels = cfg.get('in_channels', 7)
    torch.manual_seed(0)
    peer = mmpretrain_build('MODELS', cfg)
    torch.manual_seed(0)
    ours = zoo_build('MODELS', cfg)
    ours.load_state_dict(peer.state_dict(), strict=True)
    feats = (torch.randn(4, channels, generator=torch.Generator().manual_seed(1)), )
    multi = 'MultiLabel' in cfg['type']
    labels = [[0, 3], [1], [], [6, 2]] if multi else [0, 3, 6, 2]
    samples = []
    for sample_type in (DataSample, ClsDataSample):
        batch = [sample_type().set_gt_label(label) for label in labels]
        if scores:
            for i, sample in enumerate(batch):
                score = torch.zeros(7)
                score[[i, (i + 3) % 7]] = torch.tensor([0.7, 0.3])
                sample.set_field(score, 'gt_score')
        samples.append(batch)
    expected, actual = peer.loss(feats, samples[0]), ours.loss(feats, samples[1])
    assert set(actual) == set(expected)
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key])
    for e, a in zip(peer.predict(feats), ours.predict(feats)):
        torch.testing.assert_close(a.pred_score, e.pred_score)
        assert a.pred_label.equal(e.pred_label)


@pytest.mark.parametrize('dim, shape', [(1, (2, 8, 5)), (2, (2, 8, 5, 6)), (3, (2, 8, 3, 4, 5))])
def test_global_average_pooling_dim_equals_mmpretrain(dim, shape):
    cfg = dict(type='GlobalAveragePooling', dim=dim)
    x = torch.randn(*shape)
    expected, = mmpretrain_build('MODELS', cfg)((x, ))
    actual, = zoo_build('MODELS', cfg)((x, ))
    torch.testing.assert_close(actual, expected)


def test_global_average_pooling_rejects_other_dims():
    with pytest.raises(ValueError, match='GlobalAveragePooling: dim must be 1, 2 or 3, got 4'):
        zoo_build('MODELS', dict(type='GlobalAveragePooling', dim=4))


def test_train_cfg_augments_reach_the_preprocessor_and_the_loss():
    """ImageClassifier(train_cfg=dict(augments=...)): the training batch is mixed, the loss
    learns from the mixed scores, as mmpretrain's classifier."""
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=512,
            loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
        data_preprocessor=dict(num_classes=10, mean=[0, 0, 0], std=[255, 255, 255]),
        train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8),
                                 dict(type='CutMix', alpha=1.)]))
    torch.manual_seed(0)
    peer = mmpretrain_build('MODELS', cfg)
    torch.manual_seed(0)
    ours = zoo_build('MODELS', cfg)
    ours.load_state_dict(peer.state_dict(), strict=True)
    from mmpretrain.structures import DataSample

    from zoo.structures import ClsDataSample
    images = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(4)]
    losses = []
    for model, sample_type in ((peer, DataSample), (ours, ClsDataSample)):
        seed_all(3)
        data = model.data_preprocessor(
            dict(
                inputs=[i.clone() for i in images],
                data_samples=[sample_type().set_gt_label(i) for i in (0, 1, 2, 3)]), True)
        assert data['data_samples'][0].gt_score.shape == (10, )
        losses.append(model(**data, mode='loss')['loss'])
    torch.testing.assert_close(losses[1], losses[0])


def test_train_cfg_rejects_unknown_keys():
    with pytest.raises(ValueError, match='ImageClassifier: train_cfg takes augments and probs'):
        zoo_build(
            'MODELS',
            dict(
                type='ImageClassifier',
                backbone=dict(type='ResNet', depth=18),
                head=dict(type='ClsHead'),
                train_cfg=dict(mixup=0.2)))


def test_resizemix_nearest_runs():
    """mmpretrain's ResizeMix raises for interpolation='nearest' (it passes align_corners)."""
    inputs, scores = _batch()
    mixed, _ = zoo_build('BATCH_AUGMENTS',
                         dict(type='ResizeMix', alpha=1.0, interpolation='nearest'))(inputs, scores)
    assert mixed.shape == inputs.shape


def test_batch_augment_rejects_bad_arguments():
    with pytest.raises(ValueError, match='Mixup: alpha must be a positive number'):
        zoo_build('BATCH_AUGMENTS', dict(type='Mixup', alpha=0))
    with pytest.raises(ValueError, match='RandomBatchAugment: probs must be >= 0 and sum to'):
        zoo_build(
            'MODELS',
            dict(
                type='ClsDataPreprocessor',
                num_classes=3,
                batch_augments=dict(
                    augments=[dict(type='Mixup', alpha=1.),
                              dict(type='CutMix', alpha=1.)],
                    probs=[0.7, 0.7])))
