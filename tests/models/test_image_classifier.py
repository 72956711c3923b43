import pytest
import torch

from zoo.registry import MODELS
from zoo.structures import ClsDataSample


def build_classifier(**overrides):
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=512, topk=(1, 3), cal_acc=True),
        data_preprocessor=dict(
            type='ClsDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3, to_rgb=True))
    cfg.update(overrides)
    return MODELS.build(cfg)


def make_batch(num_images=2, size=32):
    inputs = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8) for _ in range(num_images)]
    samples = [ClsDataSample().set_gt_label(i % 4) for i in range(num_images)]
    return dict(inputs=inputs, data_samples=samples)


def test_data_preprocessor_normalises_and_flips_channels():
    model = build_classifier()
    batch = make_batch()
    data = model.data_preprocessor(batch, training=False)
    expected = (torch.stack(batch['inputs']).flip(1).float() - 128.0) / 64.0
    torch.testing.assert_close(data['inputs'], expected)


def test_three_modes():
    torch.manual_seed(0)
    model = build_classifier()
    data = model.data_preprocessor(make_batch(), training=True)

    logits = model(data['inputs'], mode='tensor')
    assert logits.shape == (2, 4)

    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss', 'accuracy_top-1', 'accuracy_top-3'}
    assert losses['loss'].requires_grad and losses['loss'].item() > 0

    model.eval()
    predictions = model(data['inputs'], data['data_samples'], mode='predict')
    assert len(predictions) == 2
    for sample in predictions:
        assert sample.pred_score.shape == (4, )
        torch.testing.assert_close(sample.pred_score.sum(), torch.tensor(1.0))
        assert sample.pred_label.item() == sample.pred_score.argmax().item()
        assert 'gt_label' in sample  # the ground truth travels with the prediction

    with pytest.raises(ValueError, match="mode must be"):
        model(data['inputs'], mode='logits')


def test_train_step_reduces_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = build_classifier()
    from mmengine.optim import OptimWrapper
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    batch = make_batch(num_images=4)
    first = model.train_step(batch, optim_wrapper)['loss'].item()
    for _ in range(10):
        last = model.train_step(batch, optim_wrapper)['loss'].item()
    assert last < first


def test_stacked_head_structure_and_shape_check():
    head = MODELS.build(
        dict(
            type='StackedLinearClsHead',
            num_classes=10,
            in_channels=120,
            mid_channels=[84],
            act_cfg=dict(type='Tanh')))
    assert [[type(m).__name__ for m in block.children()] for block in head.layers] == \
        [['Linear', 'Tanh'], ['Linear']]
    assert head((torch.rand(2, 120, 1, 1), )).shape == (2, 10)  # flattens its input
    with pytest.raises(ValueError, match='in_channels is 120 but its input flattens to 96'):
        head((torch.rand(2, 96), ))


@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN1d')])
def test_stacked_head_equals_mmpretrains(norm_cfg):
    """Same keys, mmpretrain's weights load strictly, same logits in eval mode."""
    from mmpretrain.models.heads import StackedLinearClsHead as Theirs
    args = dict(
        num_classes=7,
        in_channels=32,
        mid_channels=[24, 16],
        dropout_rate=0.2,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='HSwish'))
    theirs = Theirs(**args).eval()
    ours = MODELS.build(dict(type='StackedLinearClsHead', **args)).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    feats = (torch.rand(3, 32), )
    torch.testing.assert_close(ours(feats), theirs(feats), rtol=0, atol=0)
    torch.testing.assert_close(ours.pre_logits(feats), theirs.pre_logits(feats), rtol=0, atol=0)
    assert ours.fc is ours.layers[-1]


def test_gap_neck_output_grid():
    neck = MODELS.build(dict(type='GlobalAveragePooling', output_size=7))
    out, = neck((torch.rand(2, 8, 9, 9), ))
    assert out.shape == (2, 8 * 49)
    with pytest.raises(TypeError, match='tuple of feature maps'):
        neck([torch.rand(2, 8, 9, 9)])


@pytest.mark.parametrize('args', [dict(), dict(kernel_size=(4, 2), stride=1), dict(dim=2)])
def test_gap_neck_equals_both_peers(args):
    """mmpretrain's GlobalAveragePooling (dim) and mmdet's re-identification one (kernel_size,
    stride), on a tuple of maps and on one map."""
    from mmdet.models.reid import GlobalAveragePooling as MMDetGAP
    from mmpretrain.models.necks import GlobalAveragePooling as MMPretrainGAP
    ours = MODELS.build(dict(type='GlobalAveragePooling', **args))
    peer = MMDetGAP(**args) if 'kernel_size' in args else MMPretrainGAP(**args)
    x = torch.rand(2, 8, 6, 5)
    torch.testing.assert_close(ours(x), peer(x), rtol=0, atol=0)
    for out, expected in zip(ours((x, x[:, :4])), peer((x, x[:, :4]))):
        torch.testing.assert_close(out, expected, rtol=0, atol=0)
    with pytest.raises(ValueError, match='kernel_size'):
        MODELS.build(dict(type='GlobalAveragePooling', dim=1, kernel_size=2))
