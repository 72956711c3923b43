"""What ``tools/train.py`` and ``tools/test.py`` share: their common arguments and how a config
is loaded from them (checked ``--cfg-options``, the default work dir, checked hooks)."""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction

from .config_check import check_cfg_options, check_hook_arguments
from .setup_env import register_all_modules


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument(
        '--work-dir', help='where logs and checkpoints go '
        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_cfg.max_epochs=3')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher for distributed runs')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_args(parser: argparse.ArgumentParser,
               argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """``args.config`` with the overrides of ``args``, checked before anything is built.

    Raises:
        KeyError, TypeError: for an unknown top-level ``--cfg-options`` key, a text value
            where a number belongs, or a hook argument its class does not take (see
            :mod:`zoo.utils.config_check`).
    """
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    check_hook_arguments(cfg)
    return cfg


def is_rank_zero() -> bool:
    """Whether this process is the first of its job (before the process group exists)."""
    return os.environ.get('RANK', '0') == '0'
