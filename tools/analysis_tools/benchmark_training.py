"""End-to-end training images/s of a config's real loop (MMEngine's Runner, as tools/train.py
builds it, without logging, checkpoints or validation) beside a plain PyTorch loop on
torchvision's model of the same architecture, in alternating rounds of the same run.

    python tools/analysis_tools/benchmark_training.py configs/lenet/lenet5_1xb64_digits.py \
        [--synthetic] [--compile] [--channels-last] [--amp] [--device cpu|cuda] \
        [--iters N] [--rounds R] [--warmup W]

Without ``--synthetic`` both loops read the config's training folder (the plain loop through
torchvision's ImageFolder and transforms v2).

It prints a table, ``runner / plain: R`` (ratio of the median rounds), the min-max of the
per-round ratios, from five rounds the 95% bootstrap interval of the ratio, and a warning when
the ratio is not resolved (:mod:`zoo.analysis.ratio_spread`). The logic is
:mod:`zoo.analysis.training_benchmark`'s.
"""
import argparse

from mmengine.config import Config, DictAction

import zoo  # noqa: F401  (registers zoo's modules)
from zoo.analysis.training_benchmark import TrainingBenchSettings, format_result, run_training_bench


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument(
        '--synthetic',
        action='store_true',
        help='random in-memory uint8 images of the config\'s size for both loops')
    parser.add_argument('--compile', action='store_true', help='torch.compile both')
    parser.add_argument('--channels-last', action='store_true', help='NHWC batches and weights')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast in both')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--iters', type=int, default=20, help='timed iterations a round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=3, help='untimed iterations a round')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    settings = TrainingBenchSettings(
        device=args.device,
        synthetic=args.synthetic,
        compile=args.compile,
        channels_last=args.channels_last,
        amp=args.amp,
        iters=args.iters,
        rounds=args.rounds,
        warmup=args.warmup)
    print(format_result(run_training_bench(cfg, settings, progress=True)))


if __name__ == '__main__':
    main()
