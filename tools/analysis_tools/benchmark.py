"""Training and inference speed of a config's model, beside torchvision's model of the same
architecture, measured in the same run.

    python tools/analysis_tools/benchmark.py configs/resnet/resnet50_8xb32_in1k.py \
        --device cpu --batch-size 16 [--amp] [--channels-last] \
        [--variant model.backbone.frozen_stages=3]

Both models get the same random batch (already normalised, on the device): the figures are
the networks' own speed, without data loading. Rounds alternate between the two models so
that a change in machine load hits both; warm-up iterations are excluded; the median round is
reported. Compare the ratio, not the absolute numbers, on a shared machine.

``--variant KEY=VALUE ...`` adds a second zoo model, built from the config with those overrides
on top of ``--cfg-options``, to the same alternating rounds, with a ``variant / zoo`` column:
e.g. ``model.backbone.frozen_stages=3`` shows what freezing the stem and stages 1-3 saves (no
gradients are computed below stage 4).
"""
import argparse
import statistics
import time
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config, DictAction
from torch import nn

from zoo.models import build_model_from_cfg, input_channels
from zoo.models.torchvision_counterpart import torchvision_counterpart
from zoo.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark a model against torchvision')
    parser.add_argument('config', help='config file')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--shape', type=int, default=224, help='square input size')
    parser.add_argument('--mode', choices=['train', 'infer', 'both'], default='both')
    parser.add_argument('--iters', type=int, default=5, help='timed iterations a round')
    parser.add_argument('--rounds', type=int, default=3, help='alternating rounds a model')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--amp', action='store_true',
                        help='autocast: bf16 (CPU, and CUDA where supported), else fp16')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--variant', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='also time the config with these overrides, in the same rounds')
    return parser.parse_args()


class Bench:
    """One model's training step and inference on a fixed batch."""

    def __init__(self, name: str, model: nn.Module, forward: Callable, args, inputs, labels):
        self.name, self.model, self.forward = name, model, forward
        self.inputs, self.labels = inputs, labels
        self.device = args.device
        self.amp_dtype = None
        if args.amp:
            bf16 = args.device == 'cpu' or torch.cuda.is_bf16_supported()
            self.amp_dtype = torch.bfloat16 if bf16 else torch.float16
        self.optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        self.times: Dict[str, list] = {'train': [], 'infer': []}

    def _autocast(self):
        return torch.autocast(self.device, dtype=self.amp_dtype,
                              enabled=self.amp_dtype is not None)

    def train_step(self) -> None:
        self.model.train()
        with self._autocast():
            loss = F.cross_entropy(self.forward(self.inputs).float(), self.labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    @torch.no_grad()
    def infer_step(self) -> None:
        self.model.eval()
        with self._autocast():
            self.forward(self.inputs)

    def run(self, mode: str, iters: int, warmup: int = 0) -> None:
        step = self.train_step if mode == 'train' else self.infer_step
        for _ in range(warmup):
            step()
        self._sync()
        start = time.perf_counter()
        for _ in range(iters):
            step()
        self._sync()
        if iters:
            self.times[mode].append((time.perf_counter() - start) / iters)

    def _sync(self) -> None:
        if self.device == 'cuda':
            torch.cuda.synchronize()

    def images_per_second(self, mode: str) -> float:
        return self.inputs.shape[0] / statistics.median(self.times[mode])


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(0)

    zoo_model = build_model_from_cfg(cfg)
    variant_model = None
    if args.variant:
        variant_cfg = cfg.copy()
        variant_cfg.merge_from_dict(args.variant)
        variant_model = build_model_from_cfg(variant_cfg)
    tv_name: Optional[str] = torchvision_counterpart(cfg.model)
    num_classes = cfg.model.head.num_classes
    in_channels = input_channels(zoo_model)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    inputs = torch.randn(args.batch_size, in_channels, args.shape, args.shape,
                         device=args.device).contiguous(memory_format=memory_format)
    labels = torch.randint(0, num_classes, (args.batch_size, ), device=args.device)

    benches = [Bench('zoo', zoo_model.to(args.device, memory_format=memory_format),
                     lambda x: zoo_model(x, mode='tensor'), args, inputs, labels)]
    if variant_model is not None:
        variant_name = 'zoo ' + ','.join(f'{k}={v}' for k, v in args.variant.items())
        variant_model = variant_model.to(args.device, memory_format=memory_format)
        benches.append(Bench(variant_name, variant_model,
                             lambda x: variant_model(x, mode='tensor'), args, inputs, labels))
    if tv_name is not None:
        tv_model = torchvision.models.get_model(tv_name, weights=None, num_classes=num_classes)
        tv_model = tv_model.to(args.device, memory_format=memory_format)
        benches.append(Bench(f'torchvision {tv_name}', tv_model, tv_model, args, inputs, labels))

    modes = ['train', 'infer'] if args.mode == 'both' else [args.mode]
    for mode in modes:
        for bench in benches:
            bench.run(mode, iters=0, warmup=args.warmup)
        for _ in range(args.rounds):
            for bench in benches:
                bench.run(mode, iters=args.iters)

    print(f'config: {args.config}')
    print(f'device: {args.device} ({torch.get_num_threads()} threads)' if args.device == 'cpu'
          else f'device: {torch.cuda.get_device_name()}')
    print(f'batch {args.batch_size}, {args.shape}x{args.shape}, amp={args.amp}, '
          f'channels_last={args.channels_last}, median of {args.rounds} rounds x {args.iters} '
          'iterations, warm-up excluded')
    # (column, numerator, denominator) as indices into benches
    ratios = []
    if tv_name is not None:
        ratios.append(('zoo / torchvision', 0, len(benches) - 1))
    if variant_model is not None:
        ratios.append(('variant / zoo', 1, 0))
    header = '| mode | ' + ' | '.join(f'{b.name} images/s' for b in benches)
    header += ''.join(f' | {label}' for label, _, _ in ratios) + ' |'
    print(header)
    print('|' + ' --- |' * (header.count('|') - 1))
    for mode in modes:
        speeds = [b.images_per_second(mode) for b in benches]
        row = f'| {mode} | ' + ' | '.join(f'{s:.1f}' for s in speeds)
        row += ''.join(f' | {speeds[i] / speeds[j]:.3f}' for _, i, j in ratios) + ' |'
        print(row)
    if tv_name is None:
        print('torchvision has no model of this architecture: zoo figures only')


if __name__ == '__main__':
    main()
