import pytest
import torch
import torch.nn.functional as F

from zoo.registry import MODELS


@pytest.fixture
def logits_and_labels():
    torch.manual_seed(0)
    return torch.randn(8, 5), torch.randint(0, 5, (8, ))


def test_cross_entropy_equals_torch(logits_and_labels):
    logits, labels = logits_and_labels
    loss = MODELS.build(dict(type='CrossEntropyLoss'))
    torch.testing.assert_close(loss(logits, labels), F.cross_entropy(logits, labels))


def test_label_smoothing_and_loss_weight(logits_and_labels):
    logits, labels = logits_and_labels
    loss = MODELS.build(dict(type='CrossEntropyLoss', label_smoothing=0.1, loss_weight=2.0))
    expected = 2.0 * F.cross_entropy(logits, labels, label_smoothing=0.1)
    torch.testing.assert_close(loss(logits, labels), expected)


def test_class_weight_averages_over_samples(logits_and_labels):
    logits, labels = logits_and_labels
    class_weight = [1.0, 2.0, 0.5, 1.0, 3.0]
    loss = MODELS.build(dict(type='CrossEntropyLoss', class_weight=class_weight))
    per_sample = F.cross_entropy(
        logits, labels, reduction='none') * torch.tensor(class_weight)[labels]
    torch.testing.assert_close(loss(logits, labels), per_sample.mean())


def test_soft_labels(logits_and_labels):
    logits, _ = logits_and_labels
    target = torch.softmax(torch.randn(8, 5), dim=1)
    loss = MODELS.build(dict(type='CrossEntropyLoss'))
    expected = -(target * torch.log_softmax(logits, dim=1)).sum(1).mean()
    torch.testing.assert_close(loss(logits, target), expected)


def test_weight_reduction_override_and_avg_factor(logits_and_labels):
    logits, labels = logits_and_labels
    loss = MODELS.build(dict(type='CrossEntropyLoss'))
    per_sample = F.cross_entropy(logits, labels, reduction='none')
    weight = torch.arange(8, dtype=torch.float32)
    torch.testing.assert_close(loss(logits, labels, reduction_override='none'), per_sample)
    torch.testing.assert_close(
        loss(logits, labels, weight=weight, reduction_override='sum'), (per_sample * weight).sum())
    torch.testing.assert_close(
        loss(logits, labels, weight=weight, avg_factor=4.0), (per_sample * weight).sum() / 4.0)
    with pytest.raises(ValueError, match='avg_factor'):
        loss(logits, labels, avg_factor=4.0, reduction_override='sum')


def test_empty_batch_with_avg_factor_is_zero():
    loss = MODELS.build(dict(type='CrossEntropyLoss'))
    value = loss(torch.zeros(0, 5), torch.zeros(0, dtype=torch.long), avg_factor=0)
    assert value.item() == 0.0


@pytest.mark.parametrize('cfg, match', [
    (dict(type='CrossEntropyLoss', reduction='avg'), "reduction must be one of"),
    (dict(type='CrossEntropyLoss', label_smoothing=1.0), 'label_smoothing'),
])
def test_bad_options_are_named(cfg, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)


def test_class_weight_length_is_checked(logits_and_labels):
    logits, labels = logits_and_labels
    loss = MODELS.build(dict(type='CrossEntropyLoss', class_weight=[1.0, 2.0]))
    with pytest.raises(ValueError, match='class_weight has 2 entries but the prediction has 5'):
        loss(logits, labels)
