"""zoo's MultiLabelMetric, AveragePrecision, VOCMultiLabelMetric and VOCAveragePrecision give
mmpretrain 1.2.0's keys and numbers (to the bit) on random predictions, through MMEngine's
Evaluator; and their errors."""
import pytest
import torch
from mmengine.evaluator import Evaluator

from tests.parity.peers import mmpretrain_build, zoo_build
from zoo.evaluation import AveragePrecision, MultiLabelMetric
from zoo.structures import ClsDataSample

NUM_CLASSES = 6


def _batch(seed, num=40, with_score=False, ties=False):
    """Random scores and label sets; ``gt_label_difficult`` holds classes of the label set
    and others (as the VOC data set's), and some classes are present nowhere."""
    generator = torch.Generator().manual_seed(seed)
    scores = torch.rand(num, NUM_CLASSES, generator=generator)
    if ties:
        scores = (scores * 4).round() / 4
    present = torch.rand(num, NUM_CLASSES, generator=generator) < 0.35
    present[:, -1] = False
    difficult = torch.rand(num, NUM_CLASSES, generator=generator) < 0.2
    rows = []
    for i in range(num):
        row = dict(
            pred_score=scores[i],
            gt_label=torch.where(present[i])[0].tolist(),
            gt_label_difficult=torch.where(difficult[i])[0].tolist())
        if with_score:
            row['gt_score'] = present[i].long()
        rows.append(row)
    return rows


def _samples(rows, sample_type):
    samples = []
    for row in rows:
        sample = sample_type().set_gt_label(row['gt_label']).set_pred_score(row['pred_score'])
        sample.set_metainfo(dict(gt_label_difficult=row['gt_label_difficult']))
        if 'gt_score' in row:
            sample.set_field(row['gt_score'], 'gt_score')
        samples.append(sample)
    return samples


def _evaluate(metric, samples, batch_size=8):
    evaluator = Evaluator(metric)
    for start in range(0, len(samples), batch_size):
        evaluator.process(samples[start:start + batch_size])
    return evaluator.evaluate(len(samples))


CASES = [
    dict(type='MultiLabelMetric'),
    dict(type='MultiLabelMetric', thr=0.3, items=('precision', 'recall', 'f1-score', 'support')),
    dict(type='MultiLabelMetric', topk=2, average='micro'),
    dict(type='MultiLabelMetric', topk=1, average=None, items=('f1-score', 'support')),
    dict(type='MultiLabelMetric', thr=0.7, topk=3, average=None, prefix='voc'),
    dict(type='AveragePrecision'),
    dict(type='AveragePrecision', average=None),
    dict(type='VOCMultiLabelMetric'),
    dict(type='VOCMultiLabelMetric', average='micro', items=('precision', 'support')),
    dict(type='VOCMultiLabelMetric', thr=0.4, difficult_as_positive=True),
    dict(type='VOCMultiLabelMetric', topk=2, average=None, difficult_as_positive=False),
    dict(type='VOCAveragePrecision'),
    dict(type='VOCAveragePrecision', difficult_as_positive=True, average=None),
    dict(type='VOCAveragePrecision', difficult_as_positive=False),
]


@pytest.mark.parametrize('cfg', CASES, ids=str)
@pytest.mark.parametrize('with_score', [False, True], ids=['gt_label', 'gt_score'])
def test_metric_equals_mmpretrain(cfg, with_score):
    from mmpretrain.structures import DataSample
    for seed, ties in ((0, False), (1, True)):
        rows = _batch(seed, with_score=with_score, ties=ties)
        expected = _evaluate(mmpretrain_build('METRICS', cfg), _samples(rows, DataSample))
        actual = _evaluate(zoo_build('METRICS', cfg), _samples(rows, ClsDataSample))
        assert actual == expected  # same keys, same numbers to the bit
        assert all(v != 0 for v in expected.values() if isinstance(v, float))


def test_recipe_evaluator_equals_mmpretrain():
    """The VOC recipe's three metrics in one Evaluator (reading the same samples, with the
    gt_score that ClsDataPreprocessor(to_onehot=True) sets) give mmpretrain's results."""
    from mmengine.config import Config
    from mmpretrain.structures import DataSample

    from tests.parity.mmpretrain_sweep import config_root
    cfg = Config.fromfile(f'{config_root()}/_base_/datasets/voc_bs16.py')
    rows = _batch(8, with_score=True)
    results = []
    for build, sample_type in ((mmpretrain_build, DataSample), (zoo_build, ClsDataSample)):
        metrics = [build('METRICS', metric) for metric in cfg.val_evaluator]
        results.append(_evaluate(metrics, _samples(rows, sample_type)))
    expected, actual = results
    assert actual == expected
    assert sorted(actual) == [
        'multi-label/f1-score', 'multi-label/f1-score_micro', 'multi-label/mAP',
        'multi-label/precision', 'multi-label/precision_micro', 'multi-label/recall',
        'multi-label/recall_micro'
    ]


def test_metric_keys_follow_mmpretrain():
    rows = _batch(2)
    keys = {
        str(cfg): sorted(_evaluate(zoo_build('METRICS', cfg), _samples(rows, ClsDataSample)))
        for cfg in CASES[:7]
    }
    assert list(keys.values()) == [
        ['multi-label/f1-score', 'multi-label/precision', 'multi-label/recall'],
        [
            'multi-label/f1-score_thr-0.30', 'multi-label/precision_thr-0.30',
            'multi-label/recall_thr-0.30', 'multi-label/support_thr-0.30'
        ],
        [
            'multi-label/f1-score_top2_micro', 'multi-label/precision_top2_micro',
            'multi-label/recall_top2_micro'
        ],
        ['multi-label/f1-score_top1_classwise', 'multi-label/support_top1_classwise'],
        [
            'voc/f1-score_thr-0.70_classwise', 'voc/precision_thr-0.70_classwise',
            'voc/recall_thr-0.70_classwise'
        ],
        ['multi-label/mAP'],
        ['multi-label/AP_classwise'],
    ]


def test_difficult_labels_change_the_figures():
    """The three treatments of VOC's difficult-only classes differ, and each equals the plain
    metric on targets edited by hand (-1: left out, 1: present, 0: absent)."""
    rows = _batch(3)
    pred = torch.stack([r['pred_score'] for r in rows])
    results = {}
    for as_positive, value in ((None, -1), (True, 1), (False, 0)):
        target = torch.zeros(len(rows), NUM_CLASSES, dtype=torch.long)
        for i, row in enumerate(rows):
            target[i, row['gt_label']] = 1
            target[i, sorted(set(row['gt_label_difficult']) - set(row['gt_label']))] = value
        cfg = dict(type='VOCAveragePrecision', difficult_as_positive=as_positive)
        results[as_positive] = _evaluate(zoo_build('METRICS', cfg), _samples(rows, ClsDataSample))
        assert results[as_positive]['multi-label/mAP'] == AveragePrecision.calculate(pred,
                                                                                     target).item()
        precision, recall, f1_score, _ = MultiLabelMetric.calculate(pred, target)
        voc = _evaluate(
            zoo_build('METRICS',
                      dict(type='VOCMultiLabelMetric', difficult_as_positive=as_positive)),
            _samples(rows, ClsDataSample))
        assert voc['multi-label/f1-score'] == f1_score.item()
    assert len({r['multi-label/mAP'] for r in results.values()}) == 3


def test_calculate_equals_mmpretrain():
    from mmpretrain.evaluation import AveragePrecision as PeerAP
    from mmpretrain.evaluation import MultiLabelMetric as PeerMetric
    pred_indices = [[0], [1], [0, 1], [3]]
    target_indices = [[0, 3], [0, 2], [1], [3]]
    kwargs = dict(pred_indices=True, target_indices=True, num_classes=4)
    for average in ('macro', 'micro', None):
        expected = PeerMetric.calculate(pred_indices, target_indices, average=average, **kwargs)
        actual = MultiLabelMetric.calculate(pred_indices, target_indices, average=average, **kwargs)
        for a, e in zip(actual, expected):
            torch.testing.assert_close(a, e, rtol=0, atol=0)
    scores = torch.rand(9, 4, generator=torch.Generator().manual_seed(4))
    target = (torch.rand(9, 4, generator=torch.Generator().manual_seed(5)) < 0.5).long()
    for kwargs in (dict(thr=0.1), dict(topk=1), dict()):
        for a, e in zip(
                MultiLabelMetric.calculate(scores.numpy(), target.numpy(), **kwargs),
                PeerMetric.calculate(scores.numpy(), target.numpy(), **kwargs)):
            torch.testing.assert_close(a, e, rtol=0, atol=0)
    torch.testing.assert_close(
        AveragePrecision.calculate(scores, target, average=None),
        PeerAP.calculate(scores, target, average=None),
        rtol=0,
        atol=0)


def test_thr_zero_is_named_by_its_threshold():
    """mmpretrain names thr=0 '_topNone' (a truth test of thr); zoo '_thr-0.00', same value."""
    from mmpretrain.structures import DataSample
    rows = _batch(6)
    cfg = dict(type='MultiLabelMetric', thr=0.0)
    expected = _evaluate(mmpretrain_build('METRICS', cfg), _samples(rows, DataSample))
    actual = _evaluate(zoo_build('METRICS', cfg), _samples(rows, ClsDataSample))
    items = ('f1-score', 'precision', 'recall')
    assert sorted(expected) == [f'multi-label/{k}_topNone' for k in items]
    assert actual == {k.replace('_topNone', '_thr-0.00'): v for k, v in expected.items()}


@pytest.mark.parametrize(
    'cfg, error, match', [
        (dict(type='MultiLabelMetric', average='weighted'), ValueError,
         r"average must be one of \('macro', 'micro', None\), got 'weighted'"),
        (dict(type='AveragePrecision', average='micro'), ValueError,
         r"average must be one of \('macro', None\), got 'micro'"),
        (dict(type='MultiLabelMetric', items=('accuracy', )), ValueError, 'items must be among'),
        (dict(type='MultiLabelMetric', topk=0), ValueError, 'topk must be a positive int'),
        (dict(type='VOCMultiLabelMetric', difficult_as_positive='yes'), ValueError,
         "difficult_as_positive must be None, True or False, got 'yes'"),
    ],
    ids=['average', 'ap average', 'items', 'topk', 'difficult_as_positive'])
def test_bad_arguments(cfg, error, match):
    with pytest.raises(error, match=match):
        zoo_build('METRICS', cfg)


def test_bad_samples():
    rows = _batch(7, num=4)

    def run(cfg, samples):
        return _evaluate(zoo_build('METRICS', cfg), samples)

    sample = ClsDataSample().set_gt_label([1]).set_pred_score(torch.rand(NUM_CLASSES))
    with pytest.raises(KeyError, match=r"needs each sample's 'gt_label_difficult'.*meta_keys"):
        run(dict(type='VOCAveragePrecision'), [sample])
    with pytest.raises(KeyError, match='needs "pred_score"'):
        run(dict(type='MultiLabelMetric'), [ClsDataSample().set_gt_label([1])])
    with pytest.raises(ValueError, match='gt_label 6 is out of range for 6 classes'):
        run(
            dict(type='AveragePrecision'),
            [ClsDataSample().set_gt_label([6]).set_pred_score(torch.rand(NUM_CLASSES))])
    with pytest.raises(ValueError, match='gt_label_difficult 9 is out of range'):
        sample.set_metainfo(dict(gt_label_difficult=[9]))
        run(dict(type='VOCMultiLabelMetric'), [sample])
    soft = _samples(rows, ClsDataSample)
    soft[0].set_field(torch.full((NUM_CLASSES, ), 0.5), 'gt_score')
    with pytest.raises(ValueError, match='gt_score must be 0 or 1'):
        run(dict(type='MultiLabelMetric'), soft)
    with pytest.raises(ValueError, match='topk=7 is more than the 6 classes'):
        run(dict(type='MultiLabelMetric', topk=7), _samples(rows, ClsDataSample))
    with pytest.raises(ValueError, match=r'score different numbers of classes: \[3, 6\]'):
        mixed = _samples(rows, ClsDataSample)
        mixed[0].set_pred_score(torch.rand(3))
        mixed[0].set_gt_label([0])
        run(dict(type='AveragePrecision'), mixed)
    with pytest.raises(ValueError, match='got no predictions'):
        zoo_build('METRICS', dict(type='AveragePrecision')).evaluate(0)
