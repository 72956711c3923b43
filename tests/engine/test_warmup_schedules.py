"""The shipped schedules on MMEngine's real Runner: the learning rate it logs at every iteration
equals the closed-form curve (linear warm-up, then step, cosine or polynomial decay), and stock
schedulers warm up momentum and weight decay too."""
import math
from pathlib import Path
from typing import List

import pytest
import torch
from mmengine.config import Config

from tests.conftest import REPO_ROOT
from tests.engine.runner_utils import logged, tiny_cfg, tiny_data, train

SCHEDULES = REPO_ROOT / 'configs' / '_base_' / 'schedules'
ITERS_PER_EPOCH = 2  # 6 images, batch 3


def closed_form_lr(schedulers: List[dict], base_lr: float, it: int) -> float:
    """The learning rate of global iteration ``it`` (0-based), from the formulas in MMEngine's
    scheduler docs. Each scheduler keeps its last value after its ``end``; a cosine or
    polynomial decay starts from the learning rate the schedulers before it reached."""
    lr = base_lr
    for s in schedulers:
        per_iter = not s['by_epoch'] or s.get('convert_to_iter_based', False)
        scale = ITERS_PER_EPOCH if s['by_epoch'] and per_iter else 1
        now = it if per_iter else it // ITERS_PER_EPOCH
        begin, end = s['begin'] * scale, s['end'] * scale
        if now < begin:
            continue
        t = min(now, end - 1) - begin  # steps since begin
        if s['type'] == 'LinearLR':
            start, stop = s['start_factor'], s.get('end_factor', 1.0)
            lr *= start + (stop - start) * t / (end - begin - 1)
        elif s['type'] == 'MultiStepLR':
            lr *= s['gamma']**sum(m * scale <= begin + t for m in s['milestones'])
        elif s['type'] == 'CosineAnnealingLR':
            eta_min, t_max = s.get('eta_min', 0.0), s.get('T_max', s['end'] - s['begin']) * scale
            lr = eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2
        elif s['type'] == 'PolyLR':
            eta_min = s.get('eta_min', 0.0)
            lr = eta_min + (lr - eta_min) * (1 - t / (end - begin - 1))**s['power']
        else:
            raise NotImplementedError(s['type'])
    return lr


def run_schedule(tmp_path: Path, name: str, max_epochs: int, **overrides):
    """Train the tiny model for ``max_epochs`` under a shipped schedule; return what it logged
    and the schedule config it ran with."""
    schedule = Config.fromfile(SCHEDULES / name)
    schedule.merge_from_dict(overrides)
    work_dir = tmp_path / 'work'
    cfg = tiny_cfg(
        work_dir,
        tiny_data(tmp_path / 'images', per_class=2),
        max_epochs=max_epochs,
        train_dataloader=dict(batch_size=3),
        default_hooks=dict(checkpoint=None))
    cfg.optim_wrapper = schedule.optim_wrapper
    # The tiny model is LeNet-5: a ViT schedule's custom_keys (.pos_embed, .cls_token) match
    # none of its parameters, which zoo's constructors refuse.
    cfg.optim_wrapper.get('paramwise_cfg', {}).pop('custom_keys', None)
    cfg.param_scheduler = schedule.param_scheduler
    runner = train(cfg)
    multi_group = len(runner.optim_wrapper.optimizer.param_groups) > 1
    # with several groups MMEngine logs the first group's lr as `lr`, the base one as `base_lr`
    return logged(work_dir, 'base_lr' if multi_group else 'lr'), schedule, runner


# (schedule, epochs to run: past the warm-up into the decay, overrides that make it reachable)
CASES = [
    ('imagenet_bs256_poly.py', 7, {}),
    ('imagenet_bs2048_coslr.py', 7, {}),
    ('imagenet_bs1024_adamw_layer-decay.py', 7, {}),
    # 2500 warm-up iterations and steps at epochs 30/60/90 scaled down to 5 iterations and a
    # step at epoch 2: the warm-up then overlaps the first step, as in mmdet's 1x schedule
    ('imagenet_bs2048.py', 4, {
        'param_scheduler.0.end': 5,
        'param_scheduler.1.milestones': [2, 3]
    }),
    ('imagenet_bs1024_adamw_swin.py', 22, {}),
    ('imagenet_bs4096_adamw.py', 32, {}),
]


@pytest.mark.parametrize('name, max_epochs, overrides', CASES, ids=[c[0] for c in CASES])
def test_logged_lr_follows_the_closed_form(tmp_path, name, max_epochs, overrides):
    lrs, schedule, _ = run_schedule(tmp_path, name, max_epochs, **overrides)
    base_lr = schedule.optim_wrapper.optimizer.lr
    schedulers = schedule.param_scheduler
    assert len(lrs) == max_epochs * ITERS_PER_EPOCH
    expected = [closed_form_lr(schedulers, base_lr, it) for it in range(len(lrs))]
    assert lrs == pytest.approx(expected, rel=1e-9, abs=1e-15)

    # the landmarks, by hand: warm-up starts at start_factor x lr and ends at lr
    warmup = schedulers[0]
    assert warmup.type == 'LinearLR'
    assert lrs[0] == pytest.approx(warmup.start_factor * base_lr, rel=1e-12)
    end = warmup.end * (ITERS_PER_EPOCH if warmup.get('convert_to_iter_based') else 1)
    decay = schedulers[1]
    if decay.type != 'MultiStepLR':  # the step schedule overlaps the warm-up instead
        assert lrs[end - 1] == pytest.approx(base_lr, rel=1e-12)
        assert lrs[end - 1] > lrs[end - 2] and lrs[-1] < lrs[end]  # rose, then decays


def test_layer_decay_schedule_drives_every_group_from_its_own_base(tmp_path):
    _, schedule, runner = run_schedule(tmp_path, 'imagenet_bs1024_adamw_layer-decay.py', 7)
    base_lr = schedule.optim_wrapper.optimizer.lr
    groups = runner.optim_wrapper.optimizer.param_groups
    assert len({g['layer_depth'] for g in groups}) == 4  # LeNet-5: 3 stages and the head
    for group in groups:  # as the run ended: the value for iteration 7 x 2
        expected = closed_form_lr(schedule.param_scheduler, base_lr * group['lr_scale'],
                                  7 * ITERS_PER_EPOCH)
        assert group['lr'] == pytest.approx(expected, rel=1e-9)


def test_stock_schedulers_warm_up_momentum_and_weight_decay(tmp_path):
    """No zoo hook is needed for warming up other optimizer settings: MMEngine's
    ``LinearMomentum`` and ``LinearParamScheduler(param_name=...)`` do it."""
    work_dir = tmp_path / 'work'
    cfg = tiny_cfg(
        work_dir,
        tiny_data(tmp_path / 'images', per_class=2),
        max_epochs=3,
        train_dataloader=dict(batch_size=3),
        default_hooks=dict(checkpoint=dict(interval=1, by_epoch=False, max_keep_ckpts=-1)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.01)),
        param_scheduler=[
            # YOLOv5-style momentum warm-up, 0.8 -> 0.9 over the first 5 iterations
            dict(type='LinearMomentum', start_factor=0.8 / 0.9, by_epoch=False, begin=0, end=5),
            # weight decay 10x smaller during the first 2 epochs (4 iterations)
            dict(
                type='LinearParamScheduler',
                param_name='weight_decay',
                start_factor=0.1,
                by_epoch=True,
                begin=0,
                end=2,
                convert_to_iter_based=True),
        ])
    train(cfg)

    for it in range(1, 3 * ITERS_PER_EPOCH):
        # iter_{n}.pth holds the optimizer as it stands for iteration n (0-based)
        checkpoint = torch.load(work_dir / f'iter_{it}.pth', weights_only=True)
        group, = checkpoint['optimizer']['param_groups']
        momentum = 0.9 * (0.8 / 0.9 + (1 - 0.8 / 0.9) * min(it, 4) / 4)
        weight_decay = 0.01 * (0.1 + 0.9 * min(it, 3) / 3)
        assert group['momentum'] == pytest.approx(momentum, rel=1e-12), it
        assert group['weight_decay'] == pytest.approx(weight_decay, rel=1e-12), it
