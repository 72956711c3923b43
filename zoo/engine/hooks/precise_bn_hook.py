import itertools
from typing import List, Optional, Sequence

import torch
from mmengine.dist import all_reduce, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader

from zoo.registry import HOOKS


@torch.no_grad()
def update_bn_stats(model: nn.Module,
                    loader: DataLoader,
                    num_samples: int = 8192,
                    logger=None) -> None:
    """Replace the running statistics of every training-mode BN layer by their average over
    ``num_samples`` training images (at most one pass of ``loader``), as mmpretrain's.

    Each batch's statistics are read with ``momentum=1``, then averaged over the batches and
    the ranks; the momentum is restored after.
    """
    if is_model_wrapper(model):
        model = model.module
    _, world_size = get_dist_info()
    num_iter = min(num_samples // (loader.batch_size * world_size), len(loader))
    bn_layers = [m for m in model.modules() if m.training and isinstance(m, _BatchNorm)]
    if not bn_layers or num_iter == 0:
        print_log(
            f'PreciseBN: nothing to update ({len(bn_layers)} BN layers in training mode, '
            f'{num_iter} iterations)',
            logger=logger)
        return
    means: List[torch.Tensor] = [torch.zeros_like(bn.running_mean) for bn in bn_layers]
    variances: List[torch.Tensor] = [torch.zeros_like(bn.running_var) for bn in bn_layers]
    momentums = [bn.momentum for bn in bn_layers]
    for bn in bn_layers:
        bn.momentum = 1.0
    for data in itertools.islice(loader, num_iter):
        model(**model.data_preprocessor(data, False))
        for i, bn in enumerate(bn_layers):
            means[i] += bn.running_mean / num_iter
            variances[i] += bn.running_var / num_iter
    for i, bn in enumerate(bn_layers):
        if world_size > 1:
            all_reduce(means[i], op='mean')
            all_reduce(variances[i], op='mean')
        bn.running_mean = means[i]
        bn.running_var = variances[i]
        bn.momentum = momentums[i]
    print_log(
        f'PreciseBN: updated {len(bn_layers)} BN layers over {num_iter} iterations', logger=logger)


@HOOKS.register_module()
class PreciseBNHook(Hook):
    """Recompute the BN statistics over training images every ``interval`` epochs (or
    iterations, for an iteration-based loop), as mmpretrain's ``PreciseBNHook`` (Wu & Johnson,
    "Rethinking BatchNorm", 2021).

    Args:
        num_samples: Images the statistics are averaged over (at most one epoch's).
        interval: Epochs (iterations) between two updates.
    """

    def __init__(self, num_samples: int = 8192, interval: int = 1) -> None:
        if interval <= 0 or num_samples <= 0:
            raise ValueError(f'PreciseBNHook: interval and num_samples must be positive, got '
                             f'{interval} and {num_samples}')
        self.interval = interval
        self.num_samples = num_samples

    def _update(self, runner) -> None:
        update_bn_stats(
            runner.model, runner.train_loop.dataloader, self.num_samples, logger=runner.logger)

    def after_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop) and self.every_n_epochs(
                runner, self.interval):
            self._update(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        if isinstance(runner.train_loop, IterBasedTrainLoop) and self.every_n_train_iters(
                runner, self.interval):
            self._update(runner)
