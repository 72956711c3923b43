"""Training and inference speed of models timed side by side, in alternating rounds.

Every model gets the same random batch (already normalised, on the device): the figures are the
networks' own speed, without data loading. Rounds alternate between the models so that a
change in machine load hits them all; warm-up iterations are excluded; the median round is
reported. Compare the ratios, not the absolute numbers, on a shared machine.

``tools/analysis_tools/benchmark.py`` is the command line; :mod:`zoo.det.analysis.benchmark`
adds the detection benches.

Example:
    >>> from mmengine.config import Config
    >>> settings = BenchSettings(batch_size=2, shape=32, iters=1, rounds=1, warmup=0)
    >>> cfg = Config.fromfile('configs/resnet/resnet18_8xb16_cifar10.py')
    >>> benches, ratios = classification_benches(cfg, settings)
    >>> run_rounds(benches, ['infer'], settings)
    >>> print(format_table(benches, ratios, ['infer']))  # doctest: +SKIP
    | mode | zoo images/s |
    | --- | --- |
    | infer | 812.3 |
"""
import argparse
import statistics
import sys
import time
from dataclasses import dataclass, fields
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmengine.utils import ProgressBar
from torch import nn

from zoo.models import build_model_from_cfg, input_channels
from .ratio_spread import ratio_spread
from .torchvision_counterpart import torchvision_counterpart, torchvision_regularisation

# (column label, index of the numerator bench, index of the denominator bench)
Ratio = Tuple[str, int, int]


@dataclass
class BenchSettings:
    """How the benches run: device, batch, square input size, autocast, memory format, and the
    alternating rounds (``rounds`` of ``iters`` timed iterations, after ``warmup`` untimed)."""
    device: str = 'cpu'
    batch_size: int = 16
    shape: int = 224
    amp: bool = False
    channels_last: bool = False
    iters: int = 5
    rounds: int = 3
    warmup: int = 2

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser, batch_size: int = 16) -> None:
        """The command-line options of the settings (``--device`` ... ``--warmup``)."""
        parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
        parser.add_argument('--batch-size', type=int, default=batch_size)
        parser.add_argument('--shape', type=int, default=224, help='square input size')
        parser.add_argument(
            '--amp',
            action='store_true',
            help='autocast: bf16 (CPU, and CUDA where supported), else fp16')
        parser.add_argument('--iters', type=int, default=5, help='timed iterations a round')
        parser.add_argument('--rounds', type=int, default=3, help='alternating rounds a model')
        parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')

    @classmethod
    def from_args(cls, args: argparse.Namespace, **overrides) -> 'BenchSettings':
        """The settings parsed by :meth:`add_arguments` (and ``--channels-last`` where the
        command has it), with ``overrides`` on top."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
        return cls(**{**given, **overrides})


class Bench:
    """One model's training step (``loss()``: a scalar to minimise, SGD steps on it) and
    inference (``infer()``), each on a fixed batch of ``batch_size`` images.

    Args:
        name: The model's column in the table.
        model: The model (already on ``device``).
        loss: Computes the training loss on the fixed batch.
        infer: Runs inference on the fixed batch.
        batch_size: Images a step processes.
        device: ``'cpu'`` or ``'cuda'``.
        amp: Autocast: bf16 on the CPU and on CUDA devices that support it, fp16 otherwise.
    """

    def __init__(self,
                 name: str,
                 model: nn.Module,
                 loss: Callable[[], torch.Tensor],
                 infer: Callable[[], object],
                 batch_size: int,
                 device: str = 'cpu',
                 amp: bool = False):
        self.name, self.model, self.loss, self.infer = name, model, loss, infer
        self.batch_size = batch_size
        self.device = device
        self.amp_dtype = None
        if amp:
            bf16 = device == 'cpu' or torch.cuda.is_bf16_supported()
            self.amp_dtype = torch.bfloat16 if bf16 else torch.float16
        self.optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        self.times: Dict[str, list] = {'train': [], 'infer': []}

    def _autocast(self):
        return torch.autocast(self.device, dtype=self.amp_dtype, enabled=self.amp_dtype is not None)

    def train_step(self) -> None:
        self.model.train()
        with self._autocast():
            loss = self.loss()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    @torch.no_grad()
    def infer_step(self) -> None:
        self.model.eval()
        with self._autocast():
            self.infer()

    def run(self, mode: str, iters: int, warmup: int = 0) -> None:
        """``warmup`` untimed steps, then ``iters`` timed ones (one round of the median)."""
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
        return self.batch_size / statistics.median(self.times[mode])

    def round_rates(self, mode: str) -> List[float]:
        """Images/s of each timed round, in order."""
        return [self.batch_size / t for t in self.times[mode]]


def main_logits(output):
    """The main logits of a torchvision output (GoogLeNet's ``GoogLeNetOutputs`` in training,
    whose auxiliary logits torchvision computes too while the zoo's ``mode='tensor'`` does
    not)."""
    return getattr(output, 'logits', output)


def classifier_bench(name: str, model: nn.Module, forward: Callable, inputs: torch.Tensor,
                     labels: torch.Tensor, settings: BenchSettings) -> Bench:
    """A :class:`Bench` whose training loss is the cross-entropy of ``forward(inputs)``."""
    return Bench(name, model, lambda: F.cross_entropy(forward(inputs).float(), labels),
                 lambda: forward(inputs), inputs.shape[0], settings.device, settings.amp)


def run_rounds(benches: Sequence[Bench],
               modes: Sequence[str],
               settings: BenchSettings,
               progress: bool = False) -> None:
    """Warm every bench up, then time them in ``settings.rounds`` alternating rounds (with a
    progress bar on stderr where ``progress``)."""
    tasks = len(modes) * len(benches) * (settings.rounds + 1)
    bar = ProgressBar(tasks, file=sys.stderr) if progress else None
    for mode in modes:
        for round_index in range(settings.rounds + 1):  # round 0 is the warm-up
            for bench in benches:
                if round_index == 0:
                    bench.run(mode, iters=0, warmup=settings.warmup)
                else:
                    bench.run(mode, iters=settings.iters)
                if bar is not None:
                    bar.update()
    if bar is not None:
        sys.stderr.write('\n')


def format_table(benches: Sequence[Bench], ratios: Sequence[Ratio], modes: Sequence[str]) -> str:
    """A markdown table: one row per mode, images/s of each bench (median round), then each
    ratio with the min-max of its per-round ratios (and, from five rounds, its 95% bootstrap
    interval); below it a WARNING line for each ratio not resolved (see
    :mod:`zoo.analysis.ratio_spread`)."""
    header = '| mode | ' + ' | '.join(f'{b.name} images/s' for b in benches)
    header += ''.join(f' | {label}' for label, _, _ in ratios) + ' |'
    lines = [header, '|' + ' --- |' * (header.count('|') - 1)]
    warnings = []
    for mode in modes:
        speeds = [b.images_per_second(mode) for b in benches]
        row = f'| {mode} | ' + ' | '.join(f'{s:.1f}' if s >= 10 else f'{s:.2f}' for s in speeds)
        for label, i, j in ratios:
            spread = ratio_spread(benches[i].round_rates(mode), benches[j].round_rates(mode))
            row += f' | {speeds[i] / speeds[j]:.3f} ({spread.cell_text()})'
            warnings.append(spread.warning(f'{mode} {label}'))
        lines.append(row + ' |')
    return '\n'.join(lines + [w for w in warnings if w])


def variant_name(variant: dict) -> str:
    """The column name of a ``--variant``: ``zoo KEY=VALUE,...``."""
    return 'zoo ' + ','.join(f'{k}={v}' for k, v in variant.items())


def with_overrides(cfg: Config, overrides: dict) -> Config:
    """A copy of ``cfg`` with ``KEY=VALUE`` overrides (dotted keys) merged in."""
    variant_cfg = cfg.copy()
    variant_cfg.merge_from_dict(overrides)
    return variant_cfg


def classification_benches(cfg: Config,
                           settings: BenchSettings,
                           variant: Optional[dict] = None) -> Tuple[List[Bench], List[Ratio]]:
    """The zoo classifier, the ``variant`` one (``cfg`` with those overrides), and torchvision's
    model of the same architecture (where it has one), on one random batch."""
    models = [('zoo', build_model_from_cfg(cfg))]
    if variant:
        models.append((variant_name(variant), build_model_from_cfg(with_overrides(cfg, variant))))
    num_classes = cfg.model.head.num_classes
    tv_name = torchvision_counterpart(cfg.model)
    if tv_name is not None:
        # with the config's dropout and stochastic depth, so that both do the same work
        tv_model = torchvision.models.get_model(
            tv_name, weights=None, num_classes=num_classes, **torchvision_regularisation(cfg.model))
        models.append((f'torchvision {tv_name}', tv_model))
    size = settings.shape
    inputs = torch.randn(
        settings.batch_size, input_channels(models[0][1]), size, size,
        device=settings.device).contiguous(memory_format=settings.memory_format)
    labels = torch.randint(0, num_classes, (settings.batch_size, ), device=settings.device)

    benches = []
    for name, model in models:
        model = model.to(settings.device, memory_format=settings.memory_format)
        forward = (lambda x, m=model: main_logits(m(x))) if name.startswith('torchvision') \
            else partial(model, mode='tensor')
        benches.append(classifier_bench(name, model, forward, inputs, labels, settings))
    ratios = [('zoo / torchvision', 0, len(benches) - 1)] if tv_name else []
    if variant:
        ratios.append(('variant / zoo', 1, 0))
    return benches, ratios
