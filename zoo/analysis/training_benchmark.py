"""End-to-end training images/s of a config's real loop beside a plain PyTorch loop.

The config's loop is MMEngine's stock Runner, built from the config as ``tools/train.py`` builds
it (its hooks, data loader and workers, optimizer wrapper), with logging, checkpointing and
validation switched off, iteration-based with an ``InfiniteSampler`` (no epoch restarts). The
plain loop is what a user would write by hand: a DataLoader, the
forward, ``cross_entropy``, backward and the same optimizer, with torchvision's model of the same
architecture (the config's own model where torchvision has none, as for LeNet-5). Both get the
same batch size, AMP (bf16 autocast), ``torch.compile`` and memory format, and the config's
``train_dataloader.pin_memory`` and ``data_preprocessor.non_blocking`` (both off unless set).

With ``synthetic`` both are fed random in-memory uint8 images of the config's input size, so
that no data set is needed and the figures compare the loops, not the pipelines. Without it
both read the config's training folder: the Runner through the config's pipeline and data set,
the plain loop through torchvision's ``ImageFolder`` (decoding by ``torchvision.io``) and the
pipeline's steps in transforms v2 (the same crop, resize and flip; normalisation on the device,
as the config's data preprocessor), with the config's batch size and workers.

Rounds alternate between the two loops so that a change in machine load hits both; each round
runs ``warmup`` untimed iterations then ``iters`` timed ones. The Runner keeps one train loop
across rounds (the first round runs ``runner.train()``, later ones its loop's iterations), so
compiling happens once.
"""
import copy
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.utils import ProgressBar
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision.io import ImageReadMode, decode_image, read_file
from torchvision.transforms import v2

from zoo.engine.hooks import GlibcMallocHook
from zoo.engine.hooks.glibc_malloc_hook import NEVER_TRIM
from zoo.models import build_model_from_cfg, input_channels
from zoo.registry import DATASETS
from zoo.structures import ClsDataSample
from .ratio_spread import RatioSpread, ratio_spread
from .torchvision_counterpart import torchvision_counterpart


@dataclass
class TrainingBenchSettings:
    device: str = 'cpu'
    synthetic: bool = False
    compile: bool = False
    channels_last: bool = False
    amp: bool = False
    iters: int = 20
    rounds: int = 3
    warmup: int = 3
    num_images: int = 256  # the synthetic data set's length (it repeats)


@DATASETS.register_module()
class SyntheticClsDataset(Dataset):
    """``length`` random uint8 images ``(C, H, W)`` with random labels, already packed as
    ``PackClsInputs`` packs them: the data loader does no decoding or augmentation."""

    def __init__(self, length: int, channels: int, size: int, num_classes: int, seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        self.images = torch.randint(
            0, 256, (length, channels, size, size), dtype=torch.uint8, generator=generator)
        self.labels = torch.randint(0, num_classes, (length, ), generator=generator)
        self.label_ints = self.labels.tolist()  # int(self.labels[i]) costs 3 us a sample
        self.metainfo = dict(classes=[str(i) for i in range(num_classes)])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        sample = ClsDataSample().set_gt_label(self.label_ints[index])
        return dict(inputs=self.images[index], data_samples=sample)


def input_size(cfg: Config) -> int:
    """The square size the training pipeline hands the model: its last crop or resize."""
    size = None
    for step in cfg.train_dataloader.dataset.get('pipeline', []):
        value = step.get('crop_size', step.get('scale'))
        if value is not None and step['type'].split('.')[-1] != 'RandomResize':
            size = value
    if size is None:
        raise ValueError('benchmark_training: train_dataloader.dataset.pipeline has no crop or '
                         'resize to tell the input size')
    return size if isinstance(size, int) else max(size)


def synthetic_length(cfg: Config, settings: TrainingBenchSettings) -> int:
    """At least eight batches, so that epochs (and their loader restarts) stay rare."""
    return max(settings.num_images, 8 * cfg.train_dataloader.batch_size)


def num_classes(cfg: Config) -> int:
    return cfg.model.head.num_classes


def page_faults() -> int:
    """Pages this process has had the kernel fault in so far (minor faults: memory that was
    handed back or never touched, not disk reads)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


class RoundTimer(Hook):
    """Marks the time and the page faults after the last warm-up and the last timed iteration
    of each round."""
    priority = 'LOWEST'

    def __init__(self, device: str):
        self.device = device
        self.marks: List[Tuple[float, int]] = []
        self.wanted: set = set()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 in self.wanted:
            if self.device.startswith('cuda'):
                torch.cuda.synchronize()
            self.marks.append((time.perf_counter(), page_faults()))


def runner_cfg(cfg: Config, settings: TrainingBenchSettings, work_dir: str) -> Config:
    """The config's training set-up as tools/train.py runs it, minus logging, checkpoints and
    validation; iteration-based, so that the budget can grow round by round."""
    cfg = copy.deepcopy(cfg)
    if settings.synthetic:
        model = build_model_from_cfg(cfg)
        cfg.train_dataloader.dataset = dict(
            type='zoo.SyntheticClsDataset',
            length=synthetic_length(cfg, settings),
            channels=input_channels(model),
            size=input_size(cfg),
            num_classes=num_classes(cfg))
    cfg.train_dataloader.setdefault('persistent_workers',
                                    cfg.train_dataloader.get('num_workers', 0) > 0)
    # the iteration-based loop restarts a finite sampler's loader with a 2 s sleep (MMEngine's
    # _InfiniteDataloaderIterator); the epoch loop of tools/train.py does not, so neither may we
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
    cfg.train_cfg = dict(
        by_epoch=False, max_iters=settings.warmup + settings.iters, val_interval=10**9)
    schedulers = cfg.get('param_scheduler') or []
    schedulers = [schedulers] if isinstance(schedulers, dict) else schedulers
    cfg.param_scheduler = [s for s in schedulers if not s.get('by_epoch', True)]  # per-epoch
    # ones never step in these few iterations
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.logger = None
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = []
    cfg.log_level = 'WARNING'
    cfg.work_dir = work_dir
    cfg.experiment_name = f'benchmark_training_{uuid.uuid4().hex[:8]}'
    cfg.launcher = 'none'
    if settings.compile:
        cfg.compile = True
    if settings.channels_last:  # the preprocessor the Runner builds: the model's, else top-level
        holder = cfg.model if cfg.model.get('data_preprocessor') is not None else cfg
        holder.data_preprocessor = dict(holder.get('data_preprocessor') or {}, channels_last=True)
    if settings.amp:  # bf16 as the plain loop, on any device (no loss scale)
        cfg.optim_wrapper.type = 'zoo.BF16AutocastOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
    return cfg


class RunnerLoop:
    """The Runner's train loop, run ``warmup + iters`` iterations a round."""

    def __init__(self, cfg: Config, settings: TrainingBenchSettings):
        self.settings = settings
        self.work_dir = tempfile.TemporaryDirectory(prefix='benchmark_training_')
        self.runner = Runner.from_cfg(runner_cfg(cfg, settings, self.work_dir.name))
        self.timer = RoundTimer(settings.device)
        self.runner.register_hook(self.timer)
        self.started = False
        self.end = 0
        self.faults: List[float] = []  # page faults an iteration, a round each

    def round(self) -> float:
        """Images/s of one round's timed iterations."""
        s = self.settings
        start, self.end = self.end + s.warmup, self.end + s.warmup + s.iters
        self.timer.wanted = {start, self.end}
        self.timer.marks = []
        if not self.started:  # builds the loop, moves the model, compiles train_step
            self.runner.train()
            self.started = True
        else:  # the body of IterBasedTrainLoop.run (run() itself would skip the data again)
            loop = self.runner.train_loop
            while loop.iter < self.end:
                self.runner.model.train()
                loop.run_iter(next(loop.dataloader_iterator))
        (t0, faults0), (t1, faults1) = self.timer.marks
        self.faults.append((faults1 - faults0) / s.iters)
        return s.iters * self.runner.train_dataloader.batch_size / (t1 - t0)


class PlainLoop:
    """The hand-written loop on torchvision's model (or the config's, where it has none)."""

    def __init__(self, cfg: Config, settings: TrainingBenchSettings):
        self.settings = settings
        zoo_model = build_model_from_cfg(cfg)
        name = torchvision_counterpart(cfg.model)
        if name is None:
            self.name, model = 'zoo model, plain loop', zoo_model
            self.forward = lambda x: model(x, mode='tensor')
        else:
            self.name = f'torchvision {name}'
            model = torchvision.models.get_model(name, num_classes=num_classes(cfg))
            self.forward = model
        memory_format = torch.channels_last if settings.channels_last else torch.contiguous_format
        self.memory_format = memory_format
        self.model = model.to(settings.device, memory_format=memory_format).train()
        if settings.compile:
            self.forward = torch.compile(self.forward)
        self.optimizer = build_optimizer(cfg, self.model)
        preprocessor = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor') or {}
        self.non_blocking = preprocessor.get('non_blocking', False)
        channels = input_channels(zoo_model)
        self.mean = torch.tensor(
            preprocessor.get('mean') or [0.0] * channels, device=settings.device).view(1, -1, 1, 1)
        self.std = torch.tensor(
            preprocessor.get('std') or [1.0] * channels, device=settings.device).view(1, -1, 1, 1)
        if settings.synthetic:
            synthetic = SyntheticClsDataset(
                synthetic_length(cfg, settings), channels, input_size(cfg), num_classes(cfg))
            dataset = torch.utils.data.TensorDataset(synthetic.images, synthetic.labels)
        else:
            dataset = image_folder(cfg)
        loader_cfg = cfg.train_dataloader
        workers = loader_cfg.get('num_workers', 0)
        self.loader = DataLoader(
            dataset,
            batch_size=loader_cfg.batch_size,
            shuffle=True,
            num_workers=workers,
            persistent_workers=workers > 0,
            drop_last=True,
            pin_memory=loader_cfg.get('pin_memory', False))  # the config's, as the Runner's
        self.faults: List[float] = []
        if len(self.loader) == 0:
            raise ValueError(f'benchmark_training: the plain loop\'s {len(dataset)} training '
                             f'images make no full batch of {loader_cfg.batch_size}')
        self.batches = self._forever()

    def _forever(self) -> Iterator:
        while True:
            yield from self.loader

    def step(self) -> None:
        images, labels = next(self.batches)
        device = self.settings.device
        images = images.to(device, non_blocking=self.non_blocking).float()
        images = ((images - self.mean) / self.std).contiguous(memory_format=self.memory_format)
        labels = labels.to(device, non_blocking=self.non_blocking)
        with torch.autocast(device.split(':')[0], dtype=torch.bfloat16, enabled=self.settings.amp):
            loss = F.cross_entropy(self.forward(images), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def _sync(self) -> None:
        if self.settings.device.startswith('cuda'):
            torch.cuda.synchronize()

    def round(self) -> float:
        s = self.settings
        for _ in range(s.warmup):
            self.step()
        self._sync()
        start, faults = time.perf_counter(), page_faults()
        for _ in range(s.iters):
            self.step()
        self._sync()
        seconds = time.perf_counter() - start
        self.faults.append((page_faults() - faults) / s.iters)
        return s.iters * self.loader.batch_size / seconds


def decode_file(path: str, mode: ImageReadMode) -> torch.Tensor:
    """ImageFolder's loader: the file decoded by torchvision to a uint8 ``(C, H, W)`` tensor."""
    return decode_image(read_file(path), mode=mode)


def v2_transform(step: dict) -> Optional[nn.Module]:
    """The transforms v2 counterpart of one zoo pipeline step (None: nothing to do), as a user
    writes it with torchvision's defaults (antialiased resizing)."""
    kind = step['type'] if isinstance(step['type'], str) else step['type'].__name__
    kind = kind.split('.')[-1]
    args = {k: v for k, v in step.items() if k != 'type'}
    if kind in ('LoadImageFromFile', 'PackInputs', 'PackClsInputs'):
        return None
    if kind == 'RandomResizedCrop':
        return v2.RandomResizedCrop(
            args['scale'],
            scale=tuple(args.get('crop_ratio_range', (0.08, 1.0))),
            ratio=tuple(args.get('aspect_ratio_range', (3. / 4., 4. / 3.))))
    if kind == 'RandomFlip' and args.get('direction', 'horizontal') in ('horizontal', 'vertical'):
        flip = v2.RandomHorizontalFlip if args.get('direction', 'horizontal') == 'horizontal' \
            else v2.RandomVerticalFlip
        return flip(p=args.get('prob', 0.5))
    if kind == 'Resize' and not args.get('keep_ratio', False) and 'scale' in args:
        scale = args['scale']
        return v2.Resize((scale, scale) if isinstance(scale, int) else tuple(scale)[::-1])
    if kind == 'ResizeEdge' and args.get('edge', 'short') == 'short':
        return v2.Resize(args['scale'])
    if kind == 'CenterCrop':
        return v2.CenterCrop(args['crop_size'])
    if kind == 'RandomCrop':
        return v2.RandomCrop(
            args['crop_size'],
            padding=args.get('padding'),
            pad_if_needed=args.get('pad_if_needed', False),
            fill=args.get('pad_val', 0),
            padding_mode=args.get('padding_mode', 'constant'))
    raise ValueError(f'benchmark_training: the training pipeline step {step} has no transforms v2 '
                     f'counterpart in the plain loop; use --synthetic')


def image_folder(cfg: Config) -> torchvision.datasets.ImageFolder:
    """The config's training folder as torchvision's ImageFolder, with the config's pipeline in
    transforms v2 (same crop, resize and flip; decoding by torchvision)."""
    dataset = cfg.train_dataloader.dataset
    kind = dataset['type'] if isinstance(dataset['type'], str) else dataset['type'].__name__
    if kind.split('.')[-1] != 'CustomDataset' or dataset.get('ann_file') or dataset.get(
            'split') or dataset.get('val_ratio'):
        raise ValueError('benchmark_training: the plain loop reads a CustomDataset of class '
                         f'sub-folders (ImageFolder); the config\'s train data set is {kind} '
                         f'{dict((k, v) for k, v in dataset.items() if k != "pipeline")}; '
                         'use --synthetic')
    prefix = dataset.get('data_prefix', '')
    prefix = prefix['img_path'] if isinstance(prefix, dict) else prefix
    root = os.path.join(dataset.get('data_root', ''), prefix)
    if not os.path.isdir(root):
        raise FileNotFoundError(f'benchmark_training: the train folder {root} (data_root + '
                                'data_prefix) does not exist; use --synthetic or set '
                                'train_dataloader.dataset.data_root')
    pipeline = dataset.get('pipeline', [])
    gray = any(step.get('color_type', 'color').startswith('grayscale') for step in pipeline)
    steps = [t for t in (v2_transform(step) for step in pipeline) if t is not None]
    return torchvision.datasets.ImageFolder(
        root,
        transform=v2.Compose(steps),
        loader=partial(decode_file, mode=ImageReadMode.GRAY if gray else ImageReadMode.RGB))


def build_optimizer(cfg: Config, model: nn.Module) -> torch.optim.Optimizer:
    """The config's ``optim_wrapper.optimizer`` (a torch.optim class) on ``model``."""
    optimizer = dict(cfg.optim_wrapper.optimizer)
    kind = optimizer.pop('type')
    kind = kind if isinstance(kind, str) else kind.__name__
    if not hasattr(torch.optim, kind):
        raise ValueError(f'benchmark_training: optim_wrapper.optimizer.type {kind!r} is not a '
                         f'torch.optim optimizer')
    return getattr(torch.optim, kind)(model.parameters(), **optimizer)


@dataclass
class TrainingBenchResult:
    plain_name: str
    runner: List[float]  # images/s per round
    plain: List[float]
    runner_faults: List[float]  # page faults of the main process an iteration, per round
    plain_faults: List[float]
    host_malloc: str  # what the config's GlibcMallocHook did (the loops share one process)

    @property
    def spread(self) -> RatioSpread:
        return ratio_spread(self.runner, self.plain)

    @property
    def ratio(self) -> float:
        return self.spread.ratio


def run_training_bench(cfg: Config,
                       settings: TrainingBenchSettings,
                       progress: bool = False) -> TrainingBenchResult:
    """Both loops in ``settings.rounds`` alternating rounds (a progress bar on stderr where
    ``progress``)."""
    if settings.device == 'cpu' and torch.cuda.is_available():
        raise ValueError('benchmark_training: the Runner trains on the GPU whenever one is '
                         'visible; for --device cpu run with CUDA_VISIBLE_DEVICES=""')
    torch.manual_seed(0)
    runner, plain = RunnerLoop(cfg, settings), PlainLoop(cfg, settings)
    runner_ips, plain_ips = [], []
    bar = ProgressBar(2 * settings.rounds, file=sys.stderr) if progress else None
    for _ in range(settings.rounds):
        for loop, rates in ((runner, runner_ips), (plain, plain_ips)):
            rates.append(loop.round())
            if bar is not None:
                bar.update()
    if bar is not None:
        sys.stderr.write('\n')
    return TrainingBenchResult(plain.name, runner_ips, plain_ips, runner.faults, plain.faults,
                               host_malloc(runner.runner))


def host_malloc(runner: Runner) -> str:
    hook = next((h for h in runner.hooks if isinstance(h, GlibcMallocHook)), None)
    if hook is None:
        return 'glibc\'s adaptive thresholds (the config has no GlibcMallocHook)'
    if hook.not_applied is not None:
        return f'as the process started (GlibcMallocHook: {hook.not_applied})'
    trim = 'never' if hook.trim_threshold == NEVER_TRIM else f'{hook.trim_threshold} B'
    mapped = '' if hook.mmap_max is None else f', at most {hook.mmap_max} blocks mapped'
    return (f'fixed by the config\'s GlibcMallocHook (mmap {hook.mmap_threshold} B, trim '
            f'{trim}{mapped}), for both loops')


def format_result(result: TrainingBenchResult) -> str:
    spread = result.spread
    lines = [
        '| loop | model | images/s (median round) | page faults / iteration |',
        '| --- | --- | --- | --- |',
        f'| runner | config | {statistics.median(result.runner):.1f} | '
        f'{statistics.median(result.runner_faults):.0f} |',
        f'| plain | {result.plain_name} | {statistics.median(result.plain):.1f} | '
        f'{statistics.median(result.plain_faults):.0f} |',
        f'host malloc: {result.host_malloc}',
        f'runner / plain: {spread.ratio:.3f}',
        f'per-round ratios: {spread.summary()}',
    ]
    warning = spread.warning('runner / plain')
    return '\n'.join(lines + ([warning] if warning else []))
