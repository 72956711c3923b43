import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from sklearn.metrics import (accuracy_score, confusion_matrix, precision_recall_fscore_support,
                             top_k_accuracy_score)

from zoo.evaluation import Accuracy, ConfusionMatrix, SingleLabelMetric
from zoo.registry import METRICS
from zoo.structures import ClsDataSample


def predictions(num_samples, num_classes, seed=0, never_predicted=(), absent=()):
    """Real ClsDataSample predictions, as the model returns them."""
    rng = np.random.default_rng(seed)
    gt = rng.choice([c for c in range(num_classes) if c not in absent], num_samples)
    logits = rng.normal(size=(num_samples, num_classes))
    logits[np.arange(num_samples), gt] += 1.0  # better than chance
    logits[:, list(never_predicted)] -= 100
    scores = torch.from_numpy(logits).float().softmax(dim=1)
    samples = []
    for score, label in zip(scores, gt):
        sample = ClsDataSample().set_gt_label(int(label)).set_pred_score(score)
        samples.append(sample.set_pred_label(score.argmax().item()))
    return samples, gt, scores.numpy()


def evaluate(metric, samples, batch_size=8):
    """Feed the metric in batches, converting as mmengine's Evaluator does."""
    for start in range(0, len(samples), batch_size):
        metric.process(None, [s.to_dict() for s in samples[start:start + batch_size]])
    return metric.evaluate(len(samples))


def test_accuracy_matches_sklearn():
    samples, gt, scores = predictions(200, 7)
    result = evaluate(METRICS.build(dict(type='Accuracy', topk=(1, 5))), samples)
    assert set(result) == {'accuracy/top1', 'accuracy/top5'}
    assert result['accuracy/top1'] == pytest.approx(100 * accuracy_score(gt, scores.argmax(1)))
    assert result['accuracy/top5'] == pytest.approx(
        100 * top_k_accuracy_score(gt, scores, k=5, labels=range(7)))
    assert 0 < result['accuracy/top1'] < result['accuracy/top5'] < 100


@pytest.mark.parametrize('kwargs', [dict(), dict(never_predicted=(2, ), absent=(4, ))])
def test_single_label_metric_matches_sklearn(kwargs):
    num_classes = 6
    samples, gt, scores = predictions(150, num_classes, seed=1, **kwargs)
    pred = scores.argmax(1)
    labels = list(range(num_classes))
    for average in ('macro', 'micro', None):
        metric = SingleLabelMetric(
            items=('precision', 'recall', 'f1-score', 'support'), average=average)
        result = evaluate(metric, samples)
        precision, recall, f1, support = precision_recall_fscore_support(
            gt, pred, labels=labels, average=average, zero_division=0)
        suffix = {'macro': '', 'micro': '_micro', None: '_classwise'}[average]
        np.testing.assert_allclose(result[f'single-label/precision{suffix}'], precision * 100)
        np.testing.assert_allclose(result[f'single-label/recall{suffix}'], recall * 100)
        np.testing.assert_allclose(result[f'single-label/f1-score{suffix}'], f1 * 100)
        if average is None:
            assert result['single-label/support_classwise'] == support.tolist()
            assert not any(math.isnan(v) for v in result['single-label/f1-score_classwise'])
        if kwargs and average is None:
            assert result['single-label/precision_classwise'][2] == 0  # never predicted
            assert result['single-label/recall_classwise'][4] == 0  # never the ground truth


@pytest.mark.parametrize('cfg', [
    dict(type='Accuracy', topk=(1, 3)),
    dict(type='Accuracy', topk=(1, 2), thrs=(None, 0.3, 0.6)),
    dict(type='Accuracy', topk=1, thrs=0.5),
    dict(type='SingleLabelMetric'),
    dict(type='SingleLabelMetric', average='micro', items=('precision', 'recall', 'support')),
    dict(type='SingleLabelMetric', average=None, thrs=0.4),
    dict(type='SingleLabelMetric', thrs=(None, 0.35, 0.5)),
    dict(type='SingleLabelMetric', average='micro', thrs=(0.4, 0.6), prefix='val'),
])
def test_single_label_metrics_equal_mmpretrains(cfg):
    """mmpretrain's keys and figures, thresholds and the micro average included."""
    import mmpretrain.evaluation  # noqa: F401
    from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
    samples, _, _ = predictions(90, 5, seed=3)
    ours = evaluate(METRICS.build(cfg), samples)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        theirs = evaluate(MMPRETRAIN_METRICS.build(cfg), samples)
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-5, err_msg=key)
    if 'thrs' in cfg:  # the thresholds change the figures
        plain = evaluate(METRICS.build(dict(cfg, thrs=None)), samples)
        assert list(plain.values())[0] != [v for k, v in ours.items() if 'no-thr' not in k][-1]


def test_confusion_matrix_matches_sklearn():
    samples, gt, scores = predictions(120, 5, seed=2, never_predicted=(3, ))
    result = evaluate(ConfusionMatrix(), samples)
    matrix = result['confusion_matrix/result']
    assert matrix.shape == (5, 5) and matrix.dtype == torch.int64
    np.testing.assert_array_equal(matrix.numpy(),
                                  confusion_matrix(gt, scores.argmax(1), labels=range(5)))
    text = ConfusionMatrix.to_text(matrix, classes=['a', 'b', 'c', 'd', 'e'])
    assert text.splitlines()[0] == 'rows: ground truth, columns: prediction'
    assert text.splitlines()[3].startswith(' a |')


def test_labels_only_predictions():
    samples = [
        ClsDataSample().set_gt_label(g).set_pred_label(p)
        for g, p in [(0, 0), (1, 2), (2, 2), (1, 1)]
    ]
    assert evaluate(Accuracy(), samples)['accuracy/top1'] == 75.0
    with pytest.raises(ValueError, match='top-5 accuracy needs pred_score'):
        evaluate(Accuracy(topk=5), samples)
    with pytest.raises(ValueError, match='needs num_classes'):
        evaluate(SingleLabelMetric(), samples)
    result = evaluate(SingleLabelMetric(num_classes=4, average=None), samples)
    assert result['single-label/recall_classwise'] == [100.0, 50.0, 100.0, 0.0]


def test_evaluator_from_config_in_zoo_scope():
    samples, gt, scores = predictions(40, 10, seed=3)
    with DefaultScope.overwrite_default_scope('zoo'):
        evaluator = Evaluator([
            dict(type='Accuracy', topk=(1, 5)),
            dict(type='SingleLabelMetric'),
            dict(type='ConfusionMatrix')
        ])
    for start in range(0, 40, 16):
        evaluator.process(samples[start:start + 16])
    result = evaluator.evaluate(40)
    assert result['accuracy/top1'] == pytest.approx(100 * accuracy_score(gt, scores.argmax(1)))
    assert {
        'accuracy/top5', 'single-label/precision', 'single-label/recall', 'single-label/f1-score',
        'confusion_matrix/result'
    } <= set(result)


@pytest.mark.parametrize('build, message', [
    (lambda: Accuracy(topk=0), 'topk must be a positive int'),
    (lambda: SingleLabelMetric(items=('precision', 'auc')), 'items must be among'),
    (lambda: SingleLabelMetric(average='weighted'), "average must be one of .* got 'weighted'"),
    (lambda: ConfusionMatrix(num_classes=0), 'num_classes must be a positive int'),
])
def test_bad_options(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_predictions():
    samples, _, _ = predictions(4, 3)
    with pytest.raises(ValueError, match='top-5 accuracy needs at least 5 classes'):
        evaluate(Accuracy(topk=(1, 5)), samples)
    with pytest.raises(ValueError, match='num_classes=4, but pred_score holds 3 scores'):
        evaluate(SingleLabelMetric(num_classes=4), samples)
    unlabelled = [ClsDataSample().set_pred_label(0).to_dict()]
    with pytest.raises(KeyError, match='needs the ground truth "gt_label"'):
        Accuracy().process(None, unlabelled)
    out_of_range = [ClsDataSample().set_gt_label(7).set_pred_label(0)]
    with pytest.raises(ValueError, match='gt_label 7 is out of range for 3 classes'):
        evaluate(ConfusionMatrix(num_classes=3), out_of_range)
