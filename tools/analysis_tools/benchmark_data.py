"""Images/s of the classification training pipeline on JPEG photos: zoo's (the config's
pipeline, and with DecodeRandomResizedCrop) beside torchvision's PIL and v2 tensor pipelines
and decoding alone, in alternating rounds of the same run.

    python tools/analysis_tools/benchmark_data.py [CONFIG] [--data-root DIR] \
        [--num-images 200] [--image-size 500x375] [--rounds 5] [--workers N] [--threads 1]

Without ``--data-root`` it writes photo-like JPEGs to a temporary folder. It prints a table of
images/s, the ratio of each pipeline to decode-only with the min-max of the per-round ratios
(and, from five rounds, its 95% bootstrap interval), and a warning where the ratio is not
resolved (:mod:`zoo.analysis.ratio_spread`). The logic is
:mod:`zoo.analysis.data_benchmark`'s.
"""
import argparse

from mmengine.config import Config, DictAction

import zoo  # noqa: F401  (registers zoo's modules)
from zoo.analysis.data_benchmark import DataBenchSettings, format_result, run_data_bench


def image_size(text: str):
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'--image-size wants WIDTHxHEIGHT, got {text!r}')
    return width, height


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'config',
        nargs='?',
        default='configs/resnet/resnet50_8xb32_in1k.py',
        help='the config whose train_pipeline is timed')
    parser.add_argument('--data-root', help='a folder of images; default: generated JPEGs')
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument(
        '--image-size', type=image_size, default=(500, 375), help='of generated photos, WxH')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--workers', type=int, default=0, help='DataLoader workers (0: inline)')
    parser.add_argument('--batch-size', type=int, default=32, help='with --workers')
    parser.add_argument('--threads', type=int, default=1, help='torch and OpenCV threads')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    settings = DataBenchSettings(
        data_root=args.data_root,
        num_images=args.num_images,
        image_size=args.image_size,
        rounds=args.rounds,
        workers=args.workers,
        batch_size=args.batch_size,
        threads=args.threads)
    print(f'config: {args.config}')
    print(format_result(run_data_bench(cfg, settings, progress=True), settings))


if __name__ == '__main__':
    main()
