"""Training and inference speed of a config's model, beside torchvision's model of the same
architecture, measured in the same run.

    python tools/analysis_tools/benchmark.py configs/resnet/resnet50_8xb32_in1k.py \
        --device cpu --batch-size 16 [--amp] [--channels-last] \
        [--variant model.backbone.frozen_stages=3]
    python tools/analysis_tools/benchmark.py configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py \
        --shape 512 --batch-size 2

A detection config (default scope mmdet) is timed beside the same config with mmdet's own
backbone and neck in place of zoo's (``type='zoo.ResNet'`` -> ``'mmdet.ResNet'``, same
arguments), and beside torchvision's R-50 FPN detector of the same kind (Faster R-CNN,
RetinaNet) for orientation; each training step computes the detector's full loss on random
images with ``BOXES_PER_IMAGE`` random boxes each, inference predicts boxes.

Both models get the same random batch (already normalised, on the device): the figures are
the networks' own speed, without data loading. Rounds alternate between the two models so
that a change in machine load hits both; warm-up iterations are excluded; the median round is
reported. Compare the ratio, not the absolute numbers, on a shared machine: each ratio is
printed as ``R (low-high)``, the min-max of the per-round ratios, with ``; 95% a-b``, the
bootstrap interval of the ratio, from five rounds on; a WARNING line follows the table where
the ratio is not resolved: the interval holds 1 (below five rounds: the min-max is wider than
|R-1|). A progress bar goes to stderr. The benches are
:mod:`zoo.analysis.benchmark`'s (classification) and :mod:`zoo.det.analysis.benchmark`'s.

``--variant KEY=VALUE ...`` adds a second zoo model, built from the config with those overrides
on top of ``--cfg-options``, to the same alternating rounds, with a ``variant / zoo`` column:
e.g. ``model.backbone.frozen_stages=3`` shows what freezing the stem and stages 1-3 saves (no
gradients are computed below stage 4).
"""
import argparse

import torch
from mmengine.config import Config, DictAction

from zoo.analysis.benchmark import BenchSettings, classification_benches, format_table, run_rounds
from zoo.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark a model against torchvision')
    parser.add_argument('config', help='config file')
    BenchSettings.add_arguments(parser)
    parser.add_argument('--mode', choices=['train', 'infer', 'both'], default='both')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument(
        '--variant',
        nargs='+',
        action=DictAction,
        metavar='KEY=VALUE',
        help='also time the config with these overrides, in the same rounds')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(0)
    settings = BenchSettings.from_args(args)
    if cfg.get('default_scope') == 'mmdet':
        from zoo.det.analysis.benchmark import detection_benches  # imports mmdet
        benches, ratios = detection_benches(cfg, settings, args.variant)
    else:
        benches, ratios = classification_benches(cfg, settings, args.variant)
        if not any(bench.name.startswith('torchvision') for bench in benches):
            print('torchvision has no model of this architecture: zoo figures only')

    modes = ['train', 'infer'] if args.mode == 'both' else [args.mode]
    run_rounds(benches, modes, settings, progress=True)

    print(f'config: {args.config}')
    print(f'device: {args.device} ({torch.get_num_threads()} threads)' if args.device ==
          'cpu' else f'device: {torch.cuda.get_device_name()}')
    print(f'batch {args.batch_size}, {args.shape}x{args.shape}, amp={args.amp}, '
          f'channels_last={args.channels_last}, median of {args.rounds} rounds x {args.iters} '
          'iterations, warm-up excluded')
    print(format_table(benches, ratios, modes))


if __name__ == '__main__':
    main()
