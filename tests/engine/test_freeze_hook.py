"""FreezeHook on MMEngine's real Runner: frozen parameters do not move at all (momentum and
weight decay included), unfrozen ones train, and resuming in either phase changes nothing."""
from pathlib import Path

import pytest
import torch

from tests.engine.runner_utils import (assert_same, backbone_keys, changed, initial_checkpoint,
                                       state_dict, tiny_cfg, tiny_data, train)
from zoo.engine import FreezeHook


@pytest.fixture
def data_root(tmp_path) -> Path:
    return tiny_data(tmp_path / 'images', per_class=2)  # 6 images: 3 iterations an epoch


@pytest.mark.parametrize(
    'optimizer',
    [
        dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.01),
        dict(type='AdamW', lr=0.01, weight_decay=0.05),  # decoupled weight decay
    ],
    ids=['sgd-momentum', 'adamw'])
def test_frozen_until_the_unfreeze_epoch_then_trained(tmp_path, data_root, optimizer):
    work_dir = tmp_path / 'work'
    cfg = tiny_cfg(
        work_dir,
        data_root,
        max_epochs=3,
        optim_wrapper=dict(optimizer=dict(optimizer, _delete_=True)),
        custom_hooks=[dict(type='FreezeHook', modules='backbone', unfreeze_epoch=2)])
    init = initial_checkpoint(cfg, tmp_path / 'init.pth')
    cfg.load_from = str(tmp_path / 'init.pth')
    runner = train(cfg)

    backbone = backbone_keys(init)
    params = [k for k in backbone if 'running' not in k and 'num_batches' not in k]
    head = ['head.fc.weight', 'head.fc.bias']
    for epoch in (1, 2):
        weights = state_dict(work_dir / f'epoch_{epoch}.pth')
        # parameters (despite momentum and weight decay) and BN statistics alike
        assert_same(weights, init, backbone)
        assert changed(weights, init, head) == head
    assert changed(state_dict(work_dir / 'epoch_3.pth'), init, backbone) == backbone

    # the optimizer never stepped the frozen parameters: no state (momentum, Adam moments) for
    # them in phase 1
    num_head = len(head)
    assert len(torch.load(work_dir / 'epoch_2.pth', weights_only=True)['optimizer']['state']) \
        == num_head
    assert len(torch.load(work_dir / 'epoch_3.pth', weights_only=True)['optimizer']['state']) \
        == len(params) + num_head
    assert all(p.requires_grad for p in runner.model.parameters())


def test_unfreeze_at_an_iteration_inside_an_epoch(tmp_path, data_root):
    work_dir = tmp_path / 'work'
    cfg = tiny_cfg(
        work_dir,
        data_root,
        max_epochs=2,
        custom_hooks=[
            dict(type='FreezeHook', modules=r'backbone\.features\.[03]', unfreeze_iter=4)
        ],
        default_hooks=dict(checkpoint=dict(interval=1, by_epoch=False, max_keep_ckpts=-1)))
    init = initial_checkpoint(cfg, tmp_path / 'init.pth')
    cfg.load_from = str(tmp_path / 'init.pth')
    train(cfg)

    # LeNet-5's stages are views of mmpretrain's flat `features`: conv 0, 3 and 6 are its
    # layer1, layer2 and layer3
    frozen = [k for k in init if k.startswith(('backbone.features.0.', 'backbone.features.3.'))]
    trained = [k for k in backbone_keys(init) if k.startswith('backbone.features.6.')]
    after_4, after_5 = state_dict(work_dir / 'iter_4.pth'), state_dict(work_dir / 'iter_5.pth')
    assert_same(after_4, init, frozen)  # iterations 0-3 ran with layer1 and layer2 frozen
    assert changed(after_4, init, trained) == trained
    assert changed(after_5, init, frozen) == frozen  # iteration 4 updated them


def test_norm_eval_false_lets_running_statistics_move(tmp_path, data_root):
    work_dir = tmp_path / 'work'
    cfg = tiny_cfg(
        work_dir,
        data_root,
        max_epochs=1,
        custom_hooks=[dict(type='FreezeHook', modules='backbone', norm_eval=False)])
    init = initial_checkpoint(cfg, tmp_path / 'init.pth')
    cfg.load_from = str(tmp_path / 'init.pth')
    train(cfg)

    weights = state_dict(work_dir / 'epoch_1.pth')
    statistics = [k for k in backbone_keys(init) if k.endswith(('running_mean', 'running_var'))]
    assert_same(weights, init, [k for k in backbone_keys(init) if k.endswith('weight')])
    assert changed(weights, init, statistics) == statistics


def test_unfreezing_keeps_what_frozen_stages_froze(tmp_path, data_root):
    cfg = tiny_cfg(
        tmp_path / 'work',
        data_root,
        max_epochs=2,
        model=dict(backbone=dict(frozen_stages=1)),
        custom_hooks=[dict(type='FreezeHook', modules='backbone', unfreeze_epoch=1)])
    backbone = train(cfg).model.backbone
    assert not any(p.requires_grad for p in backbone.layer1.parameters())
    assert all(p.requires_grad for p in backbone.layer2.parameters())


@pytest.mark.slow
@pytest.mark.parametrize(
    'phase_one_stop, resume_epoch', [(1, None), (None, 3)],
    ids=['resume-in-frozen-phase', 'resume-after-unfreezing'])
def test_resume_in_either_phase_gives_the_uninterrupted_weights(tmp_path, data_root, phase_one_stop,
                                                                resume_epoch):
    hooks = [dict(type='FreezeHook', modules='backbone', unfreeze_epoch=2)]
    straight = tmp_path / 'straight'
    cfg = tiny_cfg(straight, data_root, max_epochs=4, custom_hooks=hooks)
    initial_checkpoint(cfg, tmp_path / 'init.pth')
    cfg.load_from = str(tmp_path / 'init.pth')
    train(cfg)

    resumed = tmp_path / 'resumed'
    if phase_one_stop:  # stop inside phase 1, then --resume from the latest checkpoint
        cfg = tiny_cfg(
            resumed,
            data_root,
            max_epochs=phase_one_stop,
            custom_hooks=hooks,
            load_from=str(tmp_path / 'init.pth'))
        train(cfg)
        cfg = tiny_cfg(resumed, data_root, max_epochs=4, custom_hooks=hooks, resume=True)
    else:  # resume a phase-2 checkpoint of the straight run in another work dir
        cfg = tiny_cfg(
            resumed,
            data_root,
            max_epochs=4,
            custom_hooks=hooks,
            resume=True,
            load_from=str(straight / f'epoch_{resume_epoch}.pth'))
    train(cfg)

    expected, actual = state_dict(straight / 'epoch_4.pth'), state_dict(resumed / 'epoch_4.pth')
    assert expected.keys() == actual.keys()
    assert_same(actual, expected, expected)


# ---------------------------------------------------------------- bad input
def test_pattern_matching_no_parameter_is_named(tmp_path, data_root):
    cfg = tiny_cfg(
        tmp_path / 'work',
        data_root,
        custom_hooks=[
            dict(type='FreezeHook', modules=['backbone', 'backbone.layer9'], unfreeze_epoch=1)
        ])
    with pytest.raises(ValueError, match=r"pattern 'backbone.layer9' matches no parameter") \
            as error:
        train(cfg)
    assert 'backbone.features' in str(error.value)  # the model's real names, as a hint


def test_pattern_matching_only_parameterless_modules_is_refused(tmp_path, data_root):
    cfg = tiny_cfg(
        tmp_path / 'work', data_root, custom_hooks=[dict(type='FreezeHook', modules='neck')])
    with pytest.raises(ValueError, match="pattern 'neck' matches no parameter"):
        train(cfg)


def test_unfreeze_epoch_needs_an_epoch_based_loop(tmp_path, data_root):
    cfg = tiny_cfg(
        tmp_path / 'work',
        data_root,
        train_cfg=dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2),
        custom_hooks=[dict(type='FreezeHook', modules='backbone', unfreeze_epoch=1)])
    with pytest.raises(ValueError, match='unfreeze_epoch needs an epoch-based train loop'):
        train(cfg)


@pytest.mark.parametrize('kwargs, message', [
    (dict(modules=[]), 'one or more non-empty name patterns'),
    (dict(modules='backbone(', unfreeze_epoch=1), "'backbone\\(' is not a valid regular"),
    (dict(modules='backbone', unfreeze_epoch=1, unfreeze_iter=5), 'not both'),
    (dict(modules='backbone', unfreeze_epoch=-1), 'unfreeze_epoch must be a non-negative int'),
    (dict(modules='backbone', unfreeze_iter=2.5), 'unfreeze_iter must be a non-negative int'),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FreezeHook(**kwargs)
