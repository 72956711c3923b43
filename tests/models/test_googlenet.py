"""GoogLeNet: the auxiliary classifiers add 0.3-weighted losses in training and cost nothing
in evaluation."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper

import zoo.models  # noqa: F401  (registers every component)
from zoo.models.heads import GoogLeNetClsHead
from zoo.registry import MODELS
from zoo.structures import ClsDataSample

CONFIG = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'models' / 'googlenet.py'


def build(aux: bool = True) -> torch.nn.Module:
    cfg = Config.fromfile(CONFIG).model
    if not aux:
        cfg.backbone.out_indices = (8, )
        cfg.head.aux_in_channels = ()
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def batch(n: int = 2):
    generator = torch.Generator().manual_seed(0)
    images = [
        torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=generator) for _ in range(n)
    ]
    samples = [ClsDataSample().set_gt_label(label) for label in (3, 997)[:n]]
    return dict(inputs=images, data_samples=samples)


def count_aux_calls(model) -> list:
    calls = []
    for aux in model.head.aux:
        aux.register_forward_hook(lambda *args: calls.append(1))
    return calls


def test_training_step_logs_and_backpropagates_the_auxiliary_losses():
    model = build()
    calls = count_aux_calls(model)
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = [aux.fc2.weight.clone() for aux in model.head.aux]
    log_vars = model.train_step(batch(), optim_wrapper)
    # MMEngine's parse_losses optimises the sum of every '*loss*' entry and logs each entry
    # (the head's own 'loss' key then holds the main classifier's loss).
    assert set(log_vars) == {'loss', 'loss_aux1', 'loss_aux2'}
    assert log_vars['loss_aux1'] > 0 and log_vars['loss_aux2'] > 0
    assert len(calls) == 2
    assert all(not torch.equal(aux.fc2.weight, w) for aux, w in zip(model.head.aux, before)), \
        'the auxiliary classifiers were not trained'


def test_auxiliary_losses_are_weighted_0_3():
    model = build().eval()  # no dropout: the losses can be recomputed exactly
    data = model.data_preprocessor(batch(), training=False)
    x, samples = data['inputs'], data['data_samples']
    with torch.no_grad():
        losses = model(x, samples, mode='loss')
        feats = model.backbone(x)
        target = torch.tensor([3, 997])
        assert torch.allclose(losses['loss'], F.cross_entropy(model.head(feats), target))
        for i in range(2):
            expected = 0.3 * F.cross_entropy(model.head.aux[i](feats[i]), target)
            assert torch.allclose(losses[f'loss_aux{i + 1}'], expected)


def test_evaluation_skips_the_auxiliary_classifiers():
    model = build().eval()
    calls = count_aux_calls(model)
    with torch.no_grad():
        predictions = model.val_step(batch())
        logits = model(model.data_preprocessor(batch())['inputs'], mode='tensor')
    assert len(predictions) == 2 and predictions[0].pred_score.shape == (1000, )
    assert logits.shape == (2, 1000)
    assert calls == [], 'an auxiliary classifier ran in evaluation'


def test_without_auxiliaries_there_is_one_loss():
    model = build(aux=False)
    data = model.data_preprocessor(batch(), training=True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss'}
    assert not any('aux' in name for name, _ in model.named_parameters())


def test_head_needs_one_feature_map_per_auxiliary():
    head = GoogLeNetClsHead(num_classes=10, aux_in_channels=(512, 528))
    samples = [ClsDataSample().set_gt_label(1)]
    with pytest.raises(ValueError, match=r'needs 3 feature maps \(GoogLeNet out_indices'):
        head.loss((torch.rand(1, 1024, 7, 7), ), samples)
    with pytest.raises(ValueError, match='aux_dropout_rate'):
        GoogLeNetClsHead(num_classes=10, aux_dropout_rate=1.0)


def test_init_is_torchvisions():
    """Normal of std 0.01 (torchvision's trunc_normal_ bounds of +-2 are absolute: no cut)."""
    model = build()
    for weight in (model.backbone.inception4a.branch2[1][0].weight, model.head.fc.weight,
                   model.head.aux[0].fc1.weight):
        assert 0.009 < weight.std().item() < 0.011 and abs(weight.mean().item()) < 1e-3
    assert torch.all(model.backbone.conv1[1].weight == 1)
