"""One training step of a config's model beside torchvision's model of the same architecture,
under torch.profiler, compared operator by operator (where the time of a speed gap goes).

    python tools/analysis_tools/profile_training_step.py \
        configs/mobilenet_v3/mobilenet-v3-large_8xb128_in1k.py --batch-size 16 \
        [--device cuda --amp --channels-last] [--steps 3] [--trace-dir DIR]

It prints each model's ``key_averages`` table (top operators by self time) and one table of
the operators where zoo's step spends more (and less) self time than torchvision's. With
``--trace-dir`` it writes both Chrome traces. The logic is :mod:`zoo.analysis.step_profile`'s.
"""
import argparse
import os

import torch
from mmengine.config import Config, DictAction

from zoo.analysis.benchmark import BenchSettings, classification_benches
from zoo.analysis.step_profile import format_comparison, profile_step
from zoo.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    BenchSettings.add_arguments(parser)
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--steps', type=int, default=3, help='profiled training steps')
    parser.add_argument('--rows', type=int, default=15, help='operators a table shows')
    parser.add_argument('--trace-dir', help='write <model>.json Chrome traces here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(0)
    settings = BenchSettings.from_args(args)
    benches, _ = classification_benches(cfg, settings)
    if len(benches) != 2:
        raise SystemExit(f'{args.config}: torchvision has no model of this architecture')
    if args.trace_dir:
        os.makedirs(args.trace_dir, exist_ok=True)
    profiles = []
    for bench in benches:
        trace = None
        if args.trace_dir:
            trace = os.path.join(args.trace_dir, bench.name.replace(' ', '_') + '.json')
        profiles.append(
            profile_step(bench, args.steps, settings.warmup, trace=trace, row_limit=args.rows))
    print(f'config: {args.config}; batch {args.batch_size}, {args.shape}x{args.shape}, '
          f'device {args.device}, amp={args.amp}, channels_last={args.channels_last}, '
          f'{args.steps} profiled steps')
    for step in profiles:
        print(f'\n== {step.name} ==\n{step.table}')
    print('\n' + format_comparison(*profiles, limit=args.rows))


if __name__ == '__main__':
    main()
