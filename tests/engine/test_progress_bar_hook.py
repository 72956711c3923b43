"""ProgressBarHook on MMEngine's stock Runner: a bar over the images of every train epoch,
validation and test, on the file it is given (stderr by default)."""
import io
import re

import pytest
from mmengine.runner import Runner

from tests.engine.runner_utils import tiny_cfg, tiny_data
from zoo.engine.hooks import ProgressBarHook


def finished_bars(text: str):
    """``(done, total)`` of each bar where it ended (the count before its newline)."""
    return [tuple(map(int, m)) for m in re.findall(r'(\d+)/(\d+), [^\n]*?ETA:\s*\d+s\n', text)]


@pytest.mark.parametrize('by_epoch', [True, False])
def test_bars_count_the_images_of_each_loop(tmp_path, by_epoch):
    data = tiny_data(tmp_path / 'data', per_class=3)  # 9 images: batches of 2, 2, 2, 2, 1
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
        train_cfg=train_cfg,
        val_dataloader=loader,
        test_dataloader=loader,
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        test_evaluator=dict(type='Accuracy', topk=(1, )),
        val_cfg=dict(),
        test_cfg=dict())
    if not by_epoch:
        cfg.train_cfg.pop('by_epoch', None)
    out = io.StringIO()
    cfg.custom_hooks = [dict(type='ProgressBarHook', phases=['train', 'val', 'test'], file=out)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    runner.test()
    if by_epoch:  # per epoch: train (9 images), then val (9)
        assert finished_bars(out.getvalue()) == [(9, 9)] * 5
    else:  # 4 iterations of 2 images, val, 4 more, val; then test
        assert finished_bars(out.getvalue()) == [(8, 16), (9, 9), (8, 8), (9, 9), (9, 9)]


def test_unknown_phase_is_named():
    with pytest.raises(ValueError, match=r"unknown phases \['tset'\]"):
        ProgressBarHook(phases=['tset'])
