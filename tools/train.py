"""Train a model from a config with MMEngine's stock Runner.

    python tools/train.py configs/lenet/lenet5_1xb64_digits.py [--work-dir DIR] [--resume [PATH]]
        [--amp] [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

One run at a time holds a work dir (a second is refused, naming the first); the temporary
files of a save that was killed are removed at start. ``--resume`` without PATH continues from
the checkpoint ``last_checkpoint`` names, or, if that is missing, empty or dangling, from the
newest complete checkpoint of the work dir, and says which.
"""
import argparse
import os.path as osp
from contextlib import nullcontext
from typing import List, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from zoo.utils import prepare_cpu_distributed
from zoo.utils.atomic import remove_stale_temporaries
from zoo.utils.cli import add_common_arguments, is_rank_zero, load_config, parse_args
from zoo.utils.last_checkpoint import find_resume_checkpoint
from zoo.utils.work_dir_lock import work_dir_lock


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Train a model with MMEngine')
    parser.add_argument('config', help='training config file')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        metavar='PATH',
        help='resume from PATH, or from the latest checkpoint of the work dir when no PATH')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: fp16 with loss scaling on CUDA, bf16 '
        'autocast elsewhere')
    add_common_arguments(parser)
    return parser


def apply_amp(cfg: Config) -> None:
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper', 'BF16AutocastOptimWrapper'):
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper or AmpOptimWrapper, '
                         f'the config has {wrapper!r}')
    if torch.cuda.is_available():  # fp16 with dynamic loss scaling
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:  # MMEngine's AmpOptimWrapper needs an accelerator; bf16 needs no loss scale
        cfg.optim_wrapper.type = 'zoo.BF16AutocastOptimWrapper'


def apply_resume(cfg: Config, resume: str) -> str:
    """Point ``cfg`` at the checkpoint to resume from; return what to tell the user."""
    if resume != 'auto':
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume: no checkpoint at {resume}')
        cfg.resume, cfg.load_from = True, resume
        return f'resuming from {resume}'
    checkpoint, message = find_resume_checkpoint(cfg.work_dir)
    if checkpoint is None:  # a fresh start, as without --resume (load_from, if any, applies)
        cfg.resume = False
    else:
        cfg.resume, cfg.load_from = True, checkpoint
    return message


def main() -> None:
    args = parse_args(build_parser())
    cfg = load_config(args)
    if args.amp:
        apply_amp(cfg)
    prepare_cpu_distributed(cfg)

    lock = work_dir_lock(cfg.work_dir) if is_rank_zero() else nullcontext()
    with lock:
        notes: List[Tuple[str, str]] = []
        if is_rank_zero():
            notes += [('warning', f'removed {path}, left by a save that was interrupted')
                      for path in remove_stale_temporaries(cfg.work_dir)]
        resume = args.resume
        if resume is None and cfg.get('resume') and not cfg.get('load_from'):
            resume = 'auto'  # resume=True in the config means the same as --resume
        if resume is not None:
            notes.append(('info', apply_resume(cfg, resume)))
        runner = Runner.from_cfg(cfg)
        for level, note in notes:
            getattr(runner.logger, level)(note)
        runner.train()


if __name__ == '__main__':
    main()
