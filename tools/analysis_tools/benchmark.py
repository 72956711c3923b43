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
reported. Compare the ratio, not the absolute numbers, on a shared machine.

``--variant KEY=VALUE ...`` adds a second zoo model, built from the config with those overrides
on top of ``--cfg-options``, to the same alternating rounds, with a ``variant / zoo`` column:
e.g. ``model.backbone.frozen_stages=3`` shows what freezing the stem and stages 1-3 saves (no
gradients are computed below stage 4).
"""
import argparse
import copy
import statistics
import time
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from torch import nn

from zoo.models import build_model_from_cfg, input_channels
from zoo.models.torchvision_counterpart import torchvision_counterpart, torchvision_regularisation
from zoo.utils import register_all_modules

# Detection: torchvision's R-50 FPN detector of the same kind, timed for orientation
DETECTION_COUNTERPARTS = {'FasterRCNN': 'fasterrcnn_resnet50_fpn',
                          'RetinaNet': 'retinanet_resnet50_fpn'}
BOXES_PER_IMAGE = 5


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
    """One model's training step (``loss()``: a scalar to minimise) and inference (``infer()``),
    each on a fixed batch of ``batch_size`` images."""

    def __init__(self, name: str, model: nn.Module, loss: Callable[[], torch.Tensor],
                 infer: Callable[[], object], args, batch_size: int):
        self.name, self.model, self.loss, self.infer = name, model, loss, infer
        self.batch_size = batch_size
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


def classifier_bench(name: str, model: nn.Module, forward: Callable, inputs: torch.Tensor,
                     labels: torch.Tensor, args) -> Bench:
    """A :class:`Bench` whose training loss is the cross-entropy of ``forward(inputs)``."""
    return Bench(name, model, lambda: F.cross_entropy(forward(inputs).float(), labels),
                 lambda: forward(inputs), args, inputs.shape[0])


def classification_benches(cfg: Config, args, memory_format) -> Tuple[List[Bench], list]:
    """The zoo classifier, the ``--variant`` one, and torchvision's, on one random batch."""
    models = [('zoo', build_model_from_cfg(cfg))]
    if args.variant:
        models.append((variant_name(args.variant),
                       build_model_from_cfg(with_overrides(cfg, args.variant))))
    num_classes = cfg.model.head.num_classes
    tv_name: Optional[str] = torchvision_counterpart(cfg.model)
    if tv_name is not None:
        # with the config's dropout and stochastic depth, so that both do the same work
        tv_model = torchvision.models.get_model(tv_name, weights=None, num_classes=num_classes,
                                                **torchvision_regularisation(cfg.model))
        models.append((f'torchvision {tv_name}', tv_model))
    inputs = torch.randn(args.batch_size, input_channels(models[0][1]), args.shape, args.shape,
                         device=args.device).contiguous(memory_format=memory_format)
    labels = torch.randint(0, num_classes, (args.batch_size, ), device=args.device)

    benches = []
    for name, model in models:
        model = model.to(args.device, memory_format=memory_format)
        forward = model if name.startswith('torchvision') else partial(model, mode='tensor')
        benches.append(classifier_bench(name, model, forward, inputs, labels, args))
    ratios = [('zoo / torchvision', 0, len(benches) - 1)] if tv_name else []
    if args.variant:
        ratios.append(('variant / zoo', 1, 0))
    if tv_name is None:
        print('torchvision has no model of this architecture: zoo figures only')
    return benches, ratios


def with_mmdet_parts(model_cfg: dict) -> Optional[dict]:
    """``model_cfg`` with its zoo backbone and neck replaced by mmdet's class of the same name
    and the same arguments (zoo's take mmdet's), or None if it has no zoo backbone or neck."""
    twin = copy.deepcopy(model_cfg)
    swapped = False
    for key in ('backbone', 'neck'):
        part = twin.get(key)
        if isinstance(part, dict) and part.get('type', '').startswith('zoo.'):
            part['type'] = 'mmdet.' + part['type'][len('zoo.'):]
            swapped = True
    return twin if swapped else None


def detection_counterpart(model_cfg: dict) -> Optional[str]:
    """torchvision's detector of the same kind (R-50 FPN), for orientation, or None."""
    backbone = model_cfg.get('backbone', {})
    if backbone.get('depth') != 50 or not model_cfg.get('neck', {}).get('type', '').endswith('FPN'):
        return None
    return DETECTION_COUNTERPARTS.get(model_cfg['type'].split('.')[-1])


def detection_batch(args, num_classes: int):
    """Random normalised images with ``BOXES_PER_IMAGE`` random boxes each, as mmdet's
    ``(inputs, data_samples)`` and as torchvision's ``(images, targets)``."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(0)
    size = args.shape
    inputs = torch.randn(args.batch_size, 3, size, size, generator=generator)
    samples, targets = [], []
    for _ in range(args.batch_size):
        corner = torch.rand(BOXES_PER_IMAGE, 2, generator=generator) * size * 0.6
        extent = (0.1 + 0.3 * torch.rand(BOXES_PER_IMAGE, 2, generator=generator)) * size
        boxes = torch.cat([corner, corner + extent], dim=1).clamp(max=size)
        labels = torch.randint(0, num_classes, (BOXES_PER_IMAGE, ), generator=generator)
        shape = (size, size)
        sample = DetDataSample(metainfo=dict(img_shape=shape, ori_shape=shape, pad_shape=shape,
                                             batch_input_shape=shape, scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        samples.append(sample.to(args.device))
        # torchvision's detectors keep label 0 for the background
        targets.append(dict(boxes=boxes.to(args.device), labels=labels.to(args.device) + 1))
    return inputs.to(args.device), samples, targets


def detection_benches(cfg: Config, args, memory_format) -> Tuple[List[Bench], list]:
    """The detector with zoo parts, the same config with mmdet's own backbone and neck, and
    torchvision's R-50 FPN detector of the same kind, on one random batch with boxes."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    if args.shape % 32:
        raise ValueError(f'--shape {args.shape}: detection inputs must be a multiple of 32')
    models = [('zoo', MODELS.build(cfg.model))]
    if args.variant:
        models.append((variant_name(args.variant),
                       MODELS.build(with_overrides(cfg, args.variant).model)))
    mmdet_cfg = with_mmdet_parts(cfg.model)
    if mmdet_cfg is None:
        raise ValueError(f'{args.config}: the model has no zoo backbone or neck to compare')
    models.append(('mmdet parts', MODELS.build(mmdet_cfg)))
    num_classes = detection_num_classes(cfg.model)
    tv_name = detection_counterpart(cfg.model)
    if tv_name is not None:
        # its own transform neither resizes nor normalises differently: inputs are shape x shape
        models.append((f'torchvision {tv_name}', torchvision.models.get_model(
            tv_name, weights=None, weights_backbone=None, num_classes=num_classes + 1,
            min_size=args.shape, max_size=args.shape)))
    inputs, samples, targets = detection_batch(args, num_classes)
    inputs = inputs.contiguous(memory_format=memory_format)
    images = list(inputs)

    benches = []
    for name, model in models:
        model = model.to(args.device, memory_format=memory_format)
        if name.startswith('torchvision'):
            loss = lambda m=model: sum(m(images, targets).values())  # noqa: E731
            infer = lambda m=model: m(images)  # noqa: E731
        else:
            loss = lambda m=model: m.parse_losses(m.loss(inputs, samples))[0]  # noqa: E731
            infer = lambda m=model: m.predict(inputs, samples)  # noqa: E731
        benches.append(Bench(name, model, loss, infer, args, args.batch_size))
    mmdet_index = len(models) - 1 - (tv_name is not None)
    ratios = [('zoo / mmdet parts', 0, mmdet_index)]
    if tv_name is not None:
        ratios.append(('zoo / torchvision', 0, len(benches) - 1))
    if args.variant:
        ratios.append(('variant / zoo', 1, 0))
    return benches, ratios


def detection_num_classes(model_cfg: dict) -> int:
    """The number of classes of a detector config's (first) box head."""
    for key in ('bbox_head', 'roi_head'):
        head = model_cfg.get(key)
        if head is not None:
            return head['bbox_head']['num_classes'] if key == 'roi_head' else head['num_classes']
    raise KeyError('the detector config has neither bbox_head nor roi_head')


def variant_name(variant: dict) -> str:
    return 'zoo ' + ','.join(f'{k}={v}' for k, v in variant.items())


def with_overrides(cfg: Config, overrides: dict) -> Config:
    """A copy of ``cfg`` with ``--variant``'s ``KEY=VALUE`` overrides merged in."""
    variant_cfg = cfg.copy()
    variant_cfg.merge_from_dict(overrides)
    return variant_cfg


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(0)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    build_benches = detection_benches if cfg.get('default_scope') == 'mmdet' \
        else classification_benches
    benches, ratios = build_benches(cfg, args, memory_format)

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
    header = '| mode | ' + ' | '.join(f'{b.name} images/s' for b in benches)
    header += ''.join(f' | {label}' for label, _, _ in ratios) + ' |'
    print(header)
    print('|' + ' --- |' * (header.count('|') - 1))
    for mode in modes:
        speeds = [b.images_per_second(mode) for b in benches]
        row = f'| {mode} | ' + ' | '.join(f'{s:.1f}' if s >= 10 else f'{s:.2f}' for s in speeds)
        row += ''.join(f' | {speeds[i] / speeds[j]:.3f}' for _, i, j in ratios) + ' |'
        print(row)


if __name__ == '__main__':
    main()
