"""Evaluate a checkpoint on a config's test set.

    python tools/test.py CONFIG CHECKPOINT [--out results.pkl] [--work-dir DIR]
        [--cfg-options key=value ...] [--launcher ...]

The checkpoint must fit the model exactly, and the test set's classes must be the ones the
checkpoint was trained on (its ``dataset_meta``). A progress bar over the test images runs on
stderr.
"""
import argparse
import os.path as osp

from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from zoo.utils import prepare_cpu_distributed
from zoo.utils.cli import add_common_arguments, load_config, parse_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Evaluate a model with MMEngine')
    parser.add_argument('config', help='test config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump every prediction (scores, labels, image paths) '
        'to this pickle file')
    add_common_arguments(parser)
    return parser


def main() -> None:
    args = parse_args(build_parser())
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'no checkpoint at {args.checkpoint}')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl file, got {args.out}')
    cfg = load_config(args)
    prepare_cpu_distributed(cfg)
    # named for the hooks' messages; loaded below, strictly: evaluating weights that do not
    # fit the model is meaningless
    cfg.load_from, cfg.load_from_strict, cfg.resume = args.checkpoint, True, False
    # a bar over the test images on stderr between the logger's lines (zoo's ProgressBarHook)
    cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='zoo.ProgressBarHook')]

    runner = Runner.from_cfg(cfg)
    try:
        runner.load_checkpoint(args.checkpoint, strict=True)
    except RuntimeError as error:
        if str(error).startswith(f'checkpoint {args.checkpoint}'):
            raise
        raise RuntimeError(f'checkpoint {args.checkpoint} does not match the model of '
                           f'{args.config}:\n{error}') from None
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    print('\n'.join(f'{key}: {value}' for key, value in metrics.items()
                    if not hasattr(value, 'shape') or value.ndim == 0))


if __name__ == '__main__':
    main()
