"""ProgressBarHook on MMEngine's stock Runner: a bar over the images of every train epoch,
validation and test, on stderr."""
import re

import pytest
from mmengine.runner import Runner

from tests.engine.runner_utils import tiny_cfg, tiny_data
from zoo.engine.hooks import ProgressBarHook


def finished_bars(text: str):
    """``(done, total)`` of each bar where it ended: the last ``\\r``-redrawn state before
    its newline."""
    bars = []
    for line in text.split('\n'):
        match = re.match(r'\[[> ]*\] (\d+)/(\d+), ', line.rsplit('\r', 1)[-1])
        if match:
            bars.append((int(match[1]), int(match[2])))
    return bars


@pytest.mark.parametrize('by_epoch', [True, False])
def test_bars_count_the_images_of_each_loop(tmp_path, by_epoch, capsys):
    data = tiny_data(tmp_path / 'data', per_class=2)  # 6 images: 3 batches of 2
    loader = dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='CustomDataset',
            data_root=str(data),
            pipeline=[
                dict(type='LoadImageFromFile', color_type='grayscale'),
                dict(type='PackClsInputs')
            ]))
    train_cfg = dict(
        by_epoch=True, max_epochs=2, val_interval=1) if by_epoch else dict(
            type='IterBasedTrainLoop', max_iters=8, val_interval=4)
    cfg = tiny_cfg(
        tmp_path / 'work',
        data,
        val_dataloader=loader,
        test_dataloader=loader,
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        test_evaluator=dict(type='Accuracy', topk=(1, )),
        val_cfg=dict(),
        test_cfg=dict())
    cfg.train_cfg = train_cfg  # replaced, not merged into tiny_cfg's epoch loop
    cfg.custom_hooks = [dict(type='ProgressBarHook', phases=['train', 'val', 'test'])]
    runner = Runner.from_cfg(cfg)
    runner.train()
    runner.test()
    bars = finished_bars(capsys.readouterr().err)
    if by_epoch:  # per epoch: train (6 images), then val (6); then test
        assert bars == [(6, 6)] * 5
    else:  # 4 iterations of 2 images, val, the 4 left, val; then test
        assert bars == [(8, 16), (6, 6), (8, 8), (6, 6), (6, 6)]


def test_unknown_phase_is_named():
    with pytest.raises(ValueError, match=r"unknown phases \['tset'\]"):
        ProgressBarHook(phases=['tset'])
