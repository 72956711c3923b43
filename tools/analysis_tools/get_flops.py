"""Parameters and FLOPs of a config's model, counted with MMEngine's complexity analysis.

    python tools/analysis_tools/get_flops.py configs/resnet/resnet50_8xb32_in1k.py --shape 224

"FLOPs" are multiply-accumulates, as mmpretrain, mmdet and torchvision count them
(ResNet-50: about 4.1 G at 224 px).
"""
import argparse

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction

from zoo.models.builder import build_model_from_cfg, input_channels
from zoo.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Count the parameters and FLOPs of a model')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[224],
        help='input height and width (one number: square)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config entries')
    parser.add_argument('--table', action='store_true', help='print the per-layer table')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if len(args.shape) not in (1, 2):
        raise ValueError(f'--shape takes one or two numbers, got {args.shape}')
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape

    model = build_model_from_cfg(cfg).eval()
    in_channels = input_channels(model)
    inputs = torch.zeros(1, in_channels, height, width)
    info = get_model_complexity_info(model, inputs=inputs, show_table=args.table, show_arch=False)
    if args.table:
        print(info['out_table'])
    print(f'Input shape: {tuple(inputs.shape)}')
    print(f'Params: {info["params"]:,} ({info["params"] / 1e6:.2f} M)')
    print(f'FLOPs (multiply-accumulates): {info["flops"] / 1e9:.3f} G '
          f'({info["flops"] / 1e6:,.1f} M)')


if __name__ == '__main__':
    main()
