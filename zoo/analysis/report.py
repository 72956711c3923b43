"""A markdown table of the zoo's classification models against their peers, each figure taken
from the installed peer when the table is made.

    python tools/analysis_tools/zoo_report.py [--models resnet50_8xb32_in1k ...] \
        [--device cpu] [--batch-size 8] [--shape 224] [--no-speed] \
        [--checkpoint resnet50_8xb32_in1k=work_dirs/r50.pth --data-root data/imagenet/val]

One row per model of the ``configs/*/metafile.yml`` files (``--models``: a subset, by the
metafiles' ``Name``). The peers of a row (:mod:`zoo.analysis.peers`): mmpretrain's model of its
config of the same name, torchvision's model of the same architecture
(:mod:`zoo.analysis.torchvision_counterpart`) and its weights' metadata, timm's model of
:data:`zoo.analysis.peers.TIMM_MODELS`; all with random weights. The columns:

- params (M): counted on the zoo model, on mmpretrain's and on timm's; torchvision's
  ``num_params``; the published figure: the one of mmpretrain's installed metafile named by the
  zoo metafile's ``Source``, or the paper's as the zoo metafile quotes it (marked ``p``);
- GFLOPs: multiply-accumulates counted with MMEngine's complexity analysis (mmpretrain's
  counter) at the row's size on the zoo model, mmpretrain's and timm's; torchvision's ``_ops``
  and the published figure (224 px);
- max abs diff vs a peer: the largest logit difference on one random input (eval mode) between
  the peer's model and the zoo model holding the peer's weights, taken as they are where the
  keys are the zoo's, converted by ``zoo.converters.torchvision_to_zoo`` where they are
  torchvision's (torchvision's own, timm's ResNets) or by ``zoo.converters.timm_to_zoo`` (timm's
  other models); ``keys differ: N of M`` where none applies;
- images/s of a training step and of inference for the zoo model, mmpretrain's and
  torchvision's, timed in the same alternating rounds by :mod:`zoo.analysis.benchmark`;
- with ``--checkpoint NAME=PATH`` and ``--data-root`` (an ImageFolder val set), the measured
  top-1/top-5 of that checkpoint with the config's test pipeline and ``Accuracy`` metric, beside
  the published ones and torchvision's metadata.

A row uses ``--shape`` px, or the fixed input size of its torchvision counterpart (ViT: 224);
the ``px`` column says which. torchvision's GoogLeNet computes its auxiliary classifiers in a
training step, the zoo's ``mode='tensor'`` does not. Input channels and classes are the
config's. ``tools/analysis_tools/zoo_report.py`` is the command line.
"""
import argparse
import logging
from pathlib import Path
from typing import Dict, List, Optional, Union

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
from zoo.utils.metafile import (Figures, MetafileError, MetafileModel, count_published_parameters,
                                load_all_metafiles, load_mmpretrain_metafiles)
from .benchmark import BenchSettings, classifier_bench, main_logits, run_rounds
from .peers import (TIMM_MODELS, build_mmpretrain, build_timm, mmpretrain_config,
                    mmpretrain_config_root, torchvision_meta, zoo_state_dict)
from .torchvision_counterpart import torchvision_regularisation

REPO_ROOT = Path(__file__).resolve().parents[2]
# the peers whose models the report builds, in column order
PEERS = ('mmpretrain', 'torchvision', 'timm')
# the peers timed beside the zoo model
TIMED = ('mmpretrain', 'torchvision')
Cell = Union[float, int, str, None]


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


def peer_logits(source: str, model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The logits of a peer's (or, ``source='zoo'``, the zoo's) classifier."""
    if source in ('zoo', 'mmpretrain'):
        return model(inputs, mode='tensor')
    return main_logits(model(inputs))


def max_logit_difference(zoo_model: nn.Module,
                         source: str,
                         peer: nn.Module,
                         tv_model: Optional[nn.Module],
                         tv_name: Optional[str],
                         size: int,
                         timm_name: Optional[str] = None) -> Union[float, str]:
    """Load the peer's (random) weights into the zoo model (:func:`~.peers.zoo_state_dict`;
    ``timm_name``: the timm model the peer is) and return the largest absolute logit difference
    on one random ``size`` px input, or why the weights do not load."""
    state = zoo_state_dict(peer, zoo_model, tv_model, tv_name, timm_name)
    if isinstance(state, str):
        return state
    zoo_model.load_state_dict(state, strict=True)
    inputs = torch.randn(1, input_channels(zoo_model), size, size)
    with torch.no_grad():
        expected = peer_logits(source, peer.eval(), inputs)
        actual = peer_logits('zoo', zoo_model.eval(), inputs)
    return (expected - actual).abs().max().item()


def images_per_second(zoo_model: nn.Module, peers: Dict[str, nn.Module], size: int,
                      num_classes: int, args: argparse.Namespace) -> Dict[str, Optional[float]]:
    """Training and inference images/s of the zoo model and the :data:`TIMED` peers, in
    alternating rounds."""
    settings = BenchSettings.from_args(args, shape=size)
    inputs = torch.randn(args.batch_size, input_channels(zoo_model), size, size, device=args.device)
    labels = torch.randint(0, num_classes, (args.batch_size, ), device=args.device)
    models = {'zoo': zoo_model, **{s: peers[s] for s in TIMED if s in peers}}
    benches = []
    for source, model in models.items():
        model = model.to(args.device)
        # GoogLeNet returns its auxiliary logits too in training (and computes them, while
        # the zoo's 'tensor' mode does not): the loss takes the main logits
        forward = (lambda x, s=source, m=model: peer_logits(s, m, x))
        benches.append(classifier_bench(source, model, forward, inputs, labels, settings))
    run_rounds(benches, ('train', 'infer'), settings)
    speeds: Dict[str, Optional[float]] = {}
    for mode in ('train', 'infer'):
        for bench in benches:
            speeds[f'{mode} {bench.name}'] = bench.images_per_second(mode)
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


def published_figures(entry: MetafileModel) -> Optional[Figures]:
    """The row's published figures: those of mmpretrain's installed metafile for the model the
    zoo metafile's ``Source`` names, or the paper's as the zoo metafile quotes them."""
    published = entry.published
    if published is None or published.source != 'mmpretrain':
        return published
    figures = load_mmpretrain_metafiles().get(published.reference)
    if figures is None:
        raise MetafileError(f'{entry.metafile}: model {entry.name!r}: Source '
                            f'{published.reference!r} is no model of mmpretrain\'s metafiles')
    return figures


def build_peers(entry: MetafileModel, cfg: Config, size: int) -> Dict[str, nn.Module]:
    """The row's peer models with random weights, by :data:`PEERS` name (those that exist)."""
    num_classes = cfg.model.head.num_classes
    peers = {}
    config = mmpretrain_config(entry.name)
    if config is not None:
        peers['mmpretrain'] = build_mmpretrain(config)
    if entry.torchvision is not None:
        peers['torchvision'] = torchvision.models.get_model(
            entry.torchvision.name,
            weights=None,
            num_classes=num_classes,
            **torchvision_regularisation(cfg.model))
    if entry.name in TIMM_MODELS:
        peers['timm'] = build_timm(TIMM_MODELS[entry.name], num_classes, size)
    return peers


def row_size(entry: MetafileModel, args: argparse.Namespace) -> int:
    """``--shape``, or torchvision's fixed input size (its ViT takes its training size only)."""
    if entry.torchvision is None:
        return args.shape
    with torch.device('meta'):
        tv_model = torchvision.models.get_model(entry.torchvision.name, weights=None)
    return getattr(tv_model, 'image_size', args.shape)


def report_row(entry: MetafileModel, args: argparse.Namespace) -> Dict[str, Cell]:
    """Every figure of one model's row, by column."""
    cfg = Config.fromfile(entry.config)
    torch.manual_seed(0)
    zoo_model = build_model_from_cfg(cfg)
    tv = entry.torchvision
    size = row_size(entry, args)
    peers = build_peers(entry, cfg, size)
    row: Dict[str, Cell] = {
        'px': size,
        'params zoo': count_published_parameters(zoo_model, tv.excluded if tv else []) / 1e6,
        'flops zoo': count_flops(zoo_model, size),
    }
    for source in ('mmpretrain', 'timm'):
        if source in peers:
            row[f'params {source}'] = count_published_parameters(peers[source]) / 1e6
            row[f'flops {source}'] = count_flops(peers[source], size)
    published = published_figures(entry)
    if published is not None:
        row['params published'] = published.params / 1e6
        row['flops published'] = published.flops / 1e9 if published.flops else None
    tv_meta = torchvision_meta(tv.name, tv.weights) if tv else None
    if tv_meta is not None:
        row.update({
            'params torchvision': tv_meta['params'] / 1e6,
            'flops torchvision': tv_meta['flops']
        })
    for source, peer in peers.items():
        row[f'diff {source}'] = max_logit_difference(
            zoo_model, source, peer, peers.get('torchvision'), tv.name if tv else None, size,
            TIMM_MODELS[entry.name] if source == 'timm' else None)
    if not args.no_speed:
        row.update(images_per_second(zoo_model, peers, size, cfg.model.head.num_classes, args))
    if entry.name in args.checkpoints:
        measured = evaluate(cfg, zoo_model, args.checkpoints[entry.name], args)
        row.update({'top-1 measured': measured['top1'], 'top-5 measured': measured['top5']})
    if args.data_root:
        row.update({
            'top-1 published': published.top1 if published else None,
            'top-5 published': published.top5 if published else None,
            'top-1 torchvision': tv_meta['top1'] if tv_meta else None,
            'top-5 torchvision': tv_meta['top5'] if tv_meta else None,
        })
    return row


def columns(args: argparse.Namespace) -> List[str]:
    """The table's columns after ``model``, in order."""
    sources = ['zoo', 'mmpretrain', 'published', 'torchvision', 'timm']
    names = ['px'] + [f'{figure} {source}' for figure in ('params', 'flops') for source in sources]
    names += [f'diff {source}' for source in PEERS]
    if not args.no_speed:
        names += [f'{mode} {source}' for mode in ('train', 'infer') for source in ('zoo', ) + TIMED]
    if args.data_root:
        names += [
            f'top-{k} {source}' for k in (1, 5)
            for source in ('measured', 'published', 'torchvision')
        ]
    return names


def header(column: str) -> str:
    """A column's heading: ``params M zoo``, ``GFLOPs timm``, ``max abs diff vs mmpretrain``,
    ``train img/s zoo``, ``top-1 published``."""
    figure, _, source = column.partition(' ')
    label = {
        'params': 'params M',
        'flops': 'GFLOPs',
        'diff': 'max abs diff vs',
        'train': 'train img/s',
        'infer': 'infer img/s'
    }.get(figure, figure)
    return f'{label} {source}'.strip()


def format_cell(column: str, value: Cell) -> str:
    if value is None:
        return '-'
    if isinstance(value, str) or column == 'px':
        return str(value)
    if column.startswith('diff'):
        return f'{value:.1e}'
    if column.startswith(('params', 'flops')):
        return f'{value:.3f}' if value < 1 else f'{value:.2f}'
    if column.startswith(('train', 'infer')):  # three digits at least: a loaded CPU's speeds
        return f'{value:.1f}' if value >= 100 else f'{value:.3g}'
    return f'{value:.2f}'


def peer_note(entry: MetafileModel) -> str:
    """Which peer models and figures a row compares with."""
    parts = []
    config = mmpretrain_config(entry.name)
    if config is not None:
        parts.append(f'mmpretrain {config.relative_to(mmpretrain_config_root().parent)}')
    if entry.published is not None:
        where = ('mmpretrain\'s metafile'
                 if entry.published.source == 'mmpretrain' else 'the zoo metafile, p')
        parts.append(f'published: {entry.published.reference} ({where})')
    if entry.torchvision is not None:
        parts.append(f'torchvision {entry.torchvision.name} {entry.torchvision.weights}')
    if entry.name in TIMM_MODELS:
        parts.append(f'timm {TIMM_MODELS[entry.name]}')
    return f'- {entry.name}: ' + '; '.join(parts)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    names = columns(args)
    print(f'device: {args.device}, batch {args.batch_size}; params, FLOPs, logits and speed of '
          'the models built here at the px column\'s size (random weights); published and '
          'torchvision FLOPs at 224 px')
    print('| ' + ' | '.join(['model'] + [header(name) for name in names]) + ' |')
    print('|' + ' --- |' * (len(names) + 1))
    notes = []
    for entry in args.entries:
        row = report_row(entry, args)
        cells = [format_cell(name, row.get(name)) for name in names]
        if entry.published and entry.published.source == 'paper':
            cells = [
                cell + ' p' if name.endswith('published') and cell != '-' else cell
                for name, cell in zip(names, cells)
            ]
        print('| ' + ' | '.join([entry.name] + cells) + ' |', flush=True)
        notes.append(peer_note(entry))
    print('\nPeers (random weights; "keys differ: N of M": N of the peer\'s M state-dict keys are '
          'the zoo model\'s, and no converter maps the rest):')
    print('\n'.join(notes))
