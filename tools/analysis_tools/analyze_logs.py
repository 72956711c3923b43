"""Curves and training time from MMEngine runs' ``vis_data/scalars.json``.

    python tools/analysis_tools/analyze_logs.py plot_curve LOG [LOG ...] \
        --keys loss lr accuracy/top1 [--legend A B] [--title T] --out curves.png
    python tools/analysis_tools/analyze_logs.py cal_train_time LOG [LOG ...] [--include-outliers]

A LOG is a ``scalars.json`` file, its ``vis_data`` folder, the run's timestamp folder, or a
work dir (its latest run that has a ``scalars.json``). ``plot_curve`` draws one panel a key,
side by side, each run one line: training scalars (``loss``, ``lr``, ...) against the
iteration, validation metrics (``accuracy/top1``, ...) against the epoch (the iteration in
iteration-based runs). ``cal_train_time`` prints each run's mean iteration time per epoch,
as mmpretrain's does (the first logged entry of every epoch, slowed by data-loader start-up,
is left out unless ``--include-outliers``).
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator

from zoo.visualization import create_figure, save_png


def find_scalars(log: str) -> str:
    """The ``scalars.json`` a LOG argument names."""
    if osp.isfile(log):
        return log
    for pattern in ('scalars.json', 'vis_data/scalars.json', '*/vis_data/scalars.json'):
        found = sorted(glob.glob(osp.join(glob.escape(log), pattern)))
        if found:
            return found[-1]  # timestamp folders sort by time: the latest run
    raise FileNotFoundError(f'{log}: no scalars.json (looked for {log}/scalars.json, '
                            f'{log}/vis_data/scalars.json and {log}/*/vis_data/scalars.json)')


def load_scalars(log: str) -> List[dict]:
    """The entries of a run's ``scalars.json`` (one JSON object a line, as MMEngine's
    ``LocalVisBackend`` writes them)."""
    path = find_scalars(log)
    entries = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f'{path}, line {number}: not JSON ({error})') from None
    if not entries:
        raise ValueError(f'{path} holds no scalars')
    return entries


def series(entries: Sequence[dict], key: str, log: str):
    """``(x, y, x label)`` of one key: training entries (they carry ``iter``) by iteration,
    validation entries by their step (the epoch in epoch-based runs)."""
    rows = [e for e in entries if key in e]
    if not rows:
        keys = sorted({k for e in entries for k in e} - {'step', 'epoch', 'iter'})
        raise KeyError(f'{log}: no key {key!r}; its keys are {keys}')
    if all('iter' in e for e in rows):
        return [e['iter'] for e in rows], [e[key] for e in rows], 'iteration'
    epoch_based = any('epoch' in e for e in entries)
    return [e['step'] for e in rows], [e[key] for e in rows], \
        'epoch' if epoch_based else 'iteration'


def plot_curve(args: argparse.Namespace) -> None:
    legends = args.legend or [osp.basename(osp.normpath(log)) for log in args.logs]
    if len(legends) != len(args.logs):
        raise ValueError(f'{len(legends)} legends for {len(args.logs)} logs')
    runs = [load_scalars(log) for log in args.logs]
    figure = create_figure((4.5 * len(args.keys), 3.6))
    for i, key in enumerate(args.keys):
        ax = figure.add_subplot(1, len(args.keys), i + 1)
        for log, legend, entries in zip(args.logs, legends, runs):
            x, y, x_label = series(entries, key, log)
            ax.plot(x, y, marker='o' if len(x) < 30 else None, ms=4, label=legend)
        ax.set_xlabel(x_label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        ax.set_title(key)
        ax.grid(alpha=0.3)
    # one legend for all panels, above them, so no panel's curves hide behind it
    figure.legend(*ax.get_legend_handles_labels(), loc='upper center', ncol=len(runs), fontsize=9)
    if args.title:
        figure.suptitle(args.title, x=0.01, ha='left')
    figure.tight_layout(rect=(0, 0, 1, 0.9))
    print(f'curves of {", ".join(args.keys)} from {len(runs)} run(s): '
          f'{save_png(figure, args.out)}')


def cal_train_time(args: argparse.Namespace) -> None:
    for log in args.logs:
        by_epoch: Dict[int, List[float]] = {}
        for entry in load_scalars(log):
            if 'time' in entry and 'epoch' in entry and 'iter' in entry:
                by_epoch.setdefault(entry['epoch'], []).append(entry['time'])
        if not by_epoch:
            raise ValueError(f'{log}: no training entries with epoch, iter and time')
        if not args.include_outliers:
            by_epoch = {e: times[1:] or times for e, times in by_epoch.items()}
        means = {epoch: float(np.mean(times)) for epoch, times in by_epoch.items()}
        epochs = np.array(list(means.values()))
        slowest, fastest = max(means, key=means.get), min(means, key=means.get)
        print(f'-----Analyze train time of {find_scalars(log)}-----')
        print(f'slowest epoch {slowest}, average time is {means[slowest]:.4f} s/iter')
        print(f'fastest epoch {fastest}, average time is {means[fastest]:.4f} s/iter')
        print(f'time std over epochs is {epochs.std():.4f}')
        print(f'average iter time: {np.mean([t for ts in by_epoch.values() for t in ts]):.4f}'
              ' s/iter')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyze MMEngine runs\' scalars.json')
    commands = parser.add_subparsers(dest='task', required=True)
    plot = commands.add_parser('plot_curve', help='plot curves of some keys')
    plot.add_argument('logs', nargs='+', help='scalars.json files or run folders')
    plot.add_argument('--keys', nargs='+', default=['loss'], help='the keys to plot')
    plot.add_argument('--legend', nargs='+', help='a name a run (default: its folder)')
    plot.add_argument('--title', help='the figure title')
    plot.add_argument('--out', required=True, help='the PNG to write')
    time = commands.add_parser('cal_train_time', help='training time per iteration')
    time.add_argument('logs', nargs='+', help='scalars.json files or run folders')
    time.add_argument(
        '--include-outliers', action='store_true', help='keep the first entry of every epoch')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    plot_curve(args) if args.task == 'plot_curve' else cal_train_time(args)


if __name__ == '__main__':
    main()
