import sys
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from zoo.registry import HOOKS

PHASES = ('train', 'val', 'test')


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """A progress bar on stderr over the images of each train epoch, validation or test.

    MMEngine's ``LoggerHook`` writes a line every ``interval`` iterations; this bar
    (mmengine's ``ProgressBar``: images done, images/s, elapsed, ETA) moves with every batch,
    so a long test or epoch shows where it is between those lines. Only the main process
    draws; in distributed runs it counts that process's share of the data. An iteration-based
    training loop gets one bar over all its iterations.

    Args:
        phases: Which loops get a bar: any of ``'train'``, ``'val'``, ``'test'``.
        file: Where the bar is written (default ``sys.stderr``, so that stdout stays the
            tool's output).
    """

    priority = 'LOW'

    def __init__(self, phases: Sequence[str] = ('test', ), file=None) -> None:
        unknown = sorted(set(phases) - set(PHASES))
        if unknown:
            raise ValueError(f'ProgressBarHook: unknown phases {unknown}; use {PHASES}')
        self.phases = tuple(phases)
        self.file = file
        self._bar: Optional[ProgressBar] = None
        self._training = self._iter_based = False

    def _start(self, phase: str, total: int) -> None:
        if phase in self.phases and is_main_process():
            self._bar = ProgressBar(total, file=self.file or sys.stderr)

    def _update(self, data_batch) -> None:
        if self._bar is not None:
            self._bar.update(max(1, batch_size(data_batch)))

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar.file.flush()
            self._bar = None

    def before_train(self, runner) -> None:
        self._iter_based = type(runner.train_loop).__name__ == 'IterBasedTrainLoop'
        self._training = True
        if self._iter_based:
            self._start_iter_based(runner)

    def _start_iter_based(self, runner) -> None:
        if runner.iter < runner.max_iters:
            self._start('train', (runner.max_iters - runner.iter) *
                        (runner.train_dataloader.batch_size or 1))

    def before_train_epoch(self, runner) -> None:
        if not self._iter_based:
            self._start('train', num_images(runner.train_dataloader))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._update(data_batch)

    def after_train_epoch(self, runner) -> None:
        if not self._iter_based:
            self._finish()

    def after_train(self, runner) -> None:
        self._training = False
        self._finish()

    def before_val_epoch(self, runner) -> None:
        self._finish()  # an iteration-based training's bar ends where validation starts
        self._start('val', num_images(runner.val_dataloader))

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._update(data_batch)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._finish()
        if self._training and self._iter_based:  # and a new one takes the rest
            self._start_iter_based(runner)

    def before_test_epoch(self, runner) -> None:
        self._start('test', num_images(runner.test_dataloader))

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._update(data_batch)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish()


def num_images(dataloader) -> int:
    """The images this process reads in one pass: its sampler's share, else the data set."""
    sampler = getattr(dataloader, 'sampler', None)
    try:
        return len(sampler)
    except TypeError:
        return len(dataloader.dataset)


def batch_size(data_batch) -> int:
    """Images in a batch as the data loader collates it (a dict with ``inputs``)."""
    if isinstance(data_batch, dict):
        inputs = data_batch.get('inputs')
        if inputs is not None:
            return len(inputs)
    return 0
