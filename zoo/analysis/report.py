"""A markdown table of the zoo's classification models against the published zoos.

    python tools/analysis_tools/zoo_report.py [--models resnet50_8xb32_in1k ...] \
        [--device cpu] [--batch-size 8] [--shape 224] [--no-speed] \
        [--checkpoint resnet50_8xb32_in1k=work_dirs/r50.pth --data-root data/imagenet/val]

One row per model of the ``configs/*/metafile.yml`` files (``--models``: a subset, by the
metafiles' ``Name``), with:

- params (M): the zoo model's count, mmpretrain's (or the paper's, marked ``p``) and
  torchvision's published ones;
- GFLOPs: multiply-accumulates of the zoo model counted with MMEngine's complexity analysis
  (mmpretrain's counter) at the row's size, beside the published ones (224 px);
- max abs diff: the largest logit difference between torchvision's model with random weights
  and the zoo model holding the same weights converted by
  ``zoo.converters.torchvision_to_zoo``, on one random input (eval mode);
- images/s of a training step and of inference for the zoo model and torchvision's, timed in
  the same alternating rounds by :mod:`zoo.analysis.benchmark`'s ``Bench``;
- with ``--checkpoint NAME=PATH`` and ``--data-root`` (an ImageFolder val set), the measured
  top-1/top-5 of that checkpoint with the config's test pipeline and ``Accuracy`` metric, beside
  the published ones.

A row uses ``--shape`` px, or the fixed input size of its torchvision counterpart (ViT: 224);
the ``px`` column says which. torchvision's GoogLeNet computes its auxiliary classifiers in a
training step, the zoo's ``mode='tensor'`` does not. Input channels and classes are the
config's. ``tools/analysis_tools/zoo_report.py`` is the command line.
"""
import argparse
import logging
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional

import torch
import torchvision
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.runner import Runner, load_checkpoint
from torch import nn

from zoo.models import build_model_from_cfg, input_channels
from zoo.utils import register_all_modules
from zoo.utils.metafile import MetafileModel, count_published_parameters, load_all_metafiles
from .benchmark import BenchSettings, classifier_bench, main_logits, run_rounds
from .torchvision_counterpart import torchvision_regularisation

REPO_ROOT = Path(__file__).resolve().parents[2]


def torchvision_converter() -> ModuleType:
    """:mod:`zoo.converters.torchvision_to_zoo` (``convert``, ``CONVERTERS``)."""
    from zoo.converters import torchvision_to_zoo
    return torchvision_to_zoo


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Compare the zoo with the published zoos')
    parser.add_argument('--models', nargs='+', help='metafile model names (default: all)')
    BenchSettings.add_arguments(parser, batch_size=8)
    parser.add_argument('--no-speed', action='store_true', help='skip the images/s columns')
    parser.add_argument(
        '--checkpoint',
        nargs='+',
        default=[],
        metavar='NAME=PATH',
        help='zoo checkpoints to evaluate on --data-root')
    parser.add_argument('--data-root', help='ImageFolder val set (<class>/<image>)')
    parser.add_argument('--config-root', default=str(REPO_ROOT / 'configs'))
    args = parser.parse_args(argv)

    models = load_all_metafiles(args.config_root)
    names = args.models or list(models)
    unknown = [name for name in names if name not in models]
    if unknown:
        parser.error(f'--models: unknown {unknown}; known: {sorted(models)}')
    args.entries = [models[name] for name in names]
    args.checkpoints = {}
    for item in args.checkpoint:
        name, sep, path = item.partition('=')
        if not sep or name not in names:
            parser.error(f'--checkpoint {item!r}: expected NAME=PATH with NAME one of {names}')
        if not Path(path).is_file():
            parser.error(f'--checkpoint {item!r}: no such file {path!r}')
        args.checkpoints[name] = path
    if args.checkpoints and not args.data_root:
        parser.error('--checkpoint needs --data-root (an ImageFolder val set)')
    if args.data_root and not Path(args.data_root).is_dir():
        parser.error(f'--data-root: no such folder {args.data_root!r}')
    return args


def count_flops(model: nn.Module, size: int) -> float:
    """Multiply-accumulates of one ``size`` px image, in G (MMEngine's counter)."""
    inputs = torch.zeros(1, input_channels(model), size, size)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)  # one warning per operator it does not count: expected
    try:
        with torch.no_grad():
            info = get_model_complexity_info(
                model.eval(), inputs=inputs, show_table=False, show_arch=False)
    finally:
        logger.setLevel(level)
    return info['flops'] / 1e9


def max_logit_difference(zoo_model: nn.Module, tv_model: nn.Module, tv_name: str,
                         size: int) -> Optional[float]:
    """Load torchvision's (random) weights into the zoo model through the converter and return
    the largest absolute logit difference on one random ``size`` px input; None where the
    converter has no rule for ``tv_name`` yet."""
    converter = torchvision_converter()
    if tv_name not in converter.CONVERTERS:
        return None
    zoo_model.load_state_dict(converter.convert(tv_name, tv_model.state_dict()), strict=True)
    inputs = torch.randn(1, input_channels(zoo_model), size, size)
    with torch.no_grad():
        expected = tv_model.eval()(inputs)
        actual = zoo_model.eval()(inputs, mode='tensor')
    return (expected - actual).abs().max().item()


def images_per_second(zoo_model: nn.Module, tv_model: Optional[nn.Module], size: int,
                      num_classes: int, args: argparse.Namespace) -> Dict[str, Optional[float]]:
    """Training and inference images/s of both models, in alternating rounds."""
    settings = BenchSettings.from_args(args, shape=size)
    inputs = torch.randn(args.batch_size, input_channels(zoo_model), size, size, device=args.device)
    labels = torch.randint(0, num_classes, (args.batch_size, ), device=args.device)
    zoo_model = zoo_model.to(args.device)
    benches = [
        classifier_bench('zoo', zoo_model, lambda x: zoo_model(x, mode='tensor'), inputs, labels,
                         settings)
    ]
    if tv_model is not None:
        tv_model = tv_model.to(args.device)
        # GoogLeNet returns its auxiliary logits too in training (and computes them, while
        # the zoo's 'tensor' mode does not): the loss takes the main logits
        benches.append(
            classifier_bench('torchvision', tv_model, lambda x: main_logits(tv_model(x)), inputs,
                             labels, settings))
    run_rounds(benches, ('train', 'infer'), settings)
    speeds: Dict[str, Optional[float]] = {}
    for mode in ('train', 'infer'):
        for source in ('zoo', 'torchvision'):
            found = [b.images_per_second(mode) for b in benches if b.name == source]
            speeds[f'{mode} {source}'] = found[0] if found else None
    return speeds


def evaluate(cfg: Config, model: nn.Module, checkpoint: str,
             args: argparse.Namespace) -> Dict[str, float]:
    """Top-1/top-5 (%) of ``checkpoint`` on ``args.data_root`` with the config's test pipeline
    and evaluator."""
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model = model.to(args.device).eval()
    dataset = dict(cfg.test_dataloader.dataset, data_root=args.data_root, data_prefix='')
    loader = Runner.build_dataloader(
        dict(
            batch_size=args.batch_size,
            num_workers=0,
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False)))
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    with torch.no_grad():
        for batch in loader:
            evaluator.process(model.test_step(batch), batch)
    metrics = evaluator.evaluate(len(loader.dataset))
    return {'top1': metrics['accuracy/top1'], 'top5': metrics.get('accuracy/top5')}


def report_row(entry: MetafileModel, args: argparse.Namespace) -> Dict[str, Optional[float]]:
    """Every figure of one model's row, by column."""
    cfg = Config.fromfile(entry.config)
    torch.manual_seed(0)
    zoo_model = build_model_from_cfg(cfg)
    tv = entry.torchvision
    excluded = tv.excluded if tv else []
    published = entry.published
    tv_model = None
    size = args.shape
    num_classes = cfg.model.head.num_classes
    if tv is not None:
        tv_model = torchvision.models.get_model(
            tv.name, weights=None, num_classes=num_classes, **torchvision_regularisation(cfg.model))
        # torchvision's ViT takes its training size only: the whole row uses it
        size = getattr(tv_model, 'image_size', args.shape)
    row = {
        'params zoo': count_published_parameters(zoo_model, excluded) / 1e6,
        'params mmpretrain': published.params / 1e6 if published else None,
        'params torchvision': tv.params / 1e6 if tv else None,
        'flops zoo': count_flops(zoo_model, size),
        'flops mmpretrain': published.flops / 1e9 if published and published.flops else None,
        'flops torchvision': tv.flops / 1e9 if tv else None,
        'px': size,
        'max abs diff': max_logit_difference(zoo_model, tv_model, tv.name, size) if tv else None,
    }
    if not args.no_speed:
        row.update(images_per_second(zoo_model, tv_model, size, num_classes, args))
    if entry.name in args.checkpoints:
        measured = evaluate(cfg, zoo_model, args.checkpoints[entry.name], args)
        row.update({'top-1 measured': measured['top1'], 'top-5 measured': measured['top5']})
    if args.data_root:
        row.update({
            'top-1 mmpretrain': published.top1 if published else None,
            'top-1 torchvision': tv.top1 if tv else None,
            'top-5 mmpretrain': published.top5 if published else None,
            'top-5 torchvision': tv.top5 if tv else None,
        })
    return row


def columns(args: argparse.Namespace) -> List[str]:
    """The table's columns after ``model``, in order."""
    names = [
        'px', 'params zoo', 'params mmpretrain', 'params torchvision', 'flops zoo',
        'flops mmpretrain', 'flops torchvision', 'max abs diff'
    ]
    if not args.no_speed:
        names += ['train zoo', 'train torchvision', 'infer zoo', 'infer torchvision']
    if args.data_root:
        names += [
            f'top-{k} {source}' for k in (1, 5)
            for source in ('measured', 'mmpretrain', 'torchvision')
        ]
    return names


HEADERS = {
    'px': 'px',
    'max abs diff': 'max abs diff vs torchvision',
    'params zoo': 'params M zoo',
    'params mmpretrain': 'params M mmpretrain',
    'params torchvision': 'params M torchvision',
    'flops zoo': 'GFLOPs zoo',
    'flops mmpretrain': 'GFLOPs mmpretrain',
    'flops torchvision': 'GFLOPs torchvision',
    'train zoo': 'train img/s zoo',
    'train torchvision': 'train img/s torchvision',
    'infer zoo': 'infer img/s zoo',
    'infer torchvision': 'infer img/s torchvision',
}


def format_cell(column: str, value: Optional[float]) -> str:
    if value is None:
        return '-'
    if column == 'px':
        return str(value)
    if column == 'max abs diff':
        return f'{value:.1e}'
    if column.startswith(('params', 'flops')):
        return f'{value:.3f}' if value < 1 else f'{value:.2f}'
    return f'{value:.1f}' if column.startswith(('train', 'infer')) else f'{value:.2f}'


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    names = columns(args)
    header = ['model'] + [HEADERS.get(name, name) for name in names]
    print(f'device: {args.device}, batch {args.batch_size}; zoo FLOPs, logits and speed at the '
          'px column\'s size, published FLOPs at 224 px; p: the paper\'s figure')
    print('| ' + ' | '.join(header) + ' |')
    print('|' + ' --- |' * len(header))
    unconverted = []
    for entry in args.entries:
        row = report_row(entry, args)
        cells = [format_cell(name, row.get(name)) for name in names]
        if entry.published and entry.published.source == 'paper':
            # the paper's figures sit in the mmpretrain columns, marked
            cells = [
                cell + ' p' if 'mmpretrain' in name and cell != '-' else cell
                for name, cell in zip(names, cells)
            ]
        print('| ' + ' | '.join([entry.name] + cells) + ' |', flush=True)
        if entry.torchvision and row['max abs diff'] is None:
            unconverted.append(entry.torchvision.name)
    if unconverted:
        print(f'max abs diff "-": torchvision_to_zoo.py has no converter for {unconverted}')
