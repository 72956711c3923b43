"""Proof that the zoo's detection parts learn: train detectors from scratch on the synthetic
shapes with MMEngine's Runner, then evaluate them with mmdet's CocoMetric (pycocotools).

    python tools/analysis_tools/train_shapes_detectors.py [CONFIG ...] \
        [--work-dir work_dirs/shapes_detectors] [--target 0.5] [--time-limit 900]

By default it trains RetinaNet and Faster R-CNN (zoo ResNet-18 + zoo FPN; 6 epochs at 160 px
and 4 at 192 px on 1000 images: their configs say why they are this small) one after the other
and prints a markdown table: training wall time (the training loop alone: validation is
switched off while training and run once afterwards), bbox mAP and mAP@0.5 on the 100 val
images. It first writes the data set (``make_shapes_dataset.py --out data/shapes --num-train
1000 --num-val 100``) if it is not there. The exit status is 1 when a model misses the mAP@0.5
target or the time limit. Progress bars on stderr follow every epoch and the test.
Run it on a quiet machine: the time is the machine's, not the model's.
"""
import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, List

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from zoo.det.synthetic import make_shapes_dataset

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIGS = [
    'configs/retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py',
    'configs/faster_rcnn/faster-rcnn_r18_fpn_1xb8-4e_shapes.py',
]
DATA = dict(out='data/shapes', num_train=1000, num_val=100)  # what the configs read


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train detectors on the synthetic shapes')
    parser.add_argument('configs', nargs='*', default=DEFAULT_CONFIGS)
    parser.add_argument('--work-dir', default='work_dirs/shapes_detectors')
    parser.add_argument('--target', type=float, default=0.5, help='least bbox mAP@0.5')
    parser.add_argument(
        '--time-limit', type=float, default=900, help='most seconds of training per model')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='overrides for every config')
    return parser.parse_args()


def train_and_test(config: str, work_dir: Path, cfg_options: dict = None) -> Dict[str, float]:
    """Train ``config`` without validation, time it, and test the final model."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = str(work_dir / Path(config).stem)
    cfg.experiment_name = cfg.get('experiment_name') or Path(config).stem  # + Runner's timestamp
    if cfg.get('visualizer') is not None:
        # Runners in one process share the visualizer of the same name: one for each
        cfg.visualizer.name = f'{cfg.experiment_name}_{time.strftime("%Y%m%d_%H%M%S")}'
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None  # measured once, after training
    # a bar over each epoch's images and the test on stderr, between the logger's lines
    cfg.custom_hooks = [
        *cfg.get('custom_hooks', []),
        dict(type='zoo.ProgressBarHook', phases=['train', 'test'])
    ]
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_seconds = time.perf_counter() - start
    metrics = runner.test()
    return dict(
        train_seconds=train_seconds,
        epochs=cfg.train_cfg.max_epochs,
        train_images=len(runner.train_dataloader.dataset),
        mAP=metrics['coco/bbox_mAP'],
        mAP_50=metrics['coco/bbox_mAP_50'])


def report(rows: List[tuple], target: float, time_limit: float) -> bool:
    """Print the table; return whether every model met the target within the time limit."""
    print('\n| config | train images x epochs | training time | bbox mAP | bbox mAP@0.5 | '
          f'mAP@0.5 >= {target} in {time_limit / 60:g} min |')
    print('|---|---|---|---|---|---|')
    all_met = True
    for config, r in rows:
        met = r['mAP_50'] >= target and r['train_seconds'] <= time_limit
        all_met &= met
        minutes, seconds = divmod(round(r['train_seconds']), 60)
        print(f"| {Path(config).stem} | {r['train_images']} x {r['epochs']} | "
              f"{minutes} min {seconds:02d} s | {r['mAP']:.3f} | {r['mAP_50']:.3f} | "
              f"{'yes' if met else 'NO'} |")
    return all_met


def main() -> int:
    args = parse_args()
    os.chdir(REPO_ROOT)  # the configs' data_root is relative to the repository
    make_shapes_dataset(**DATA)
    rows = [(config, train_and_test(config, Path(args.work_dir), args.cfg_options))
            for config in args.configs]
    return 0 if report(rows, args.target, args.time_limit) else 1


if __name__ == '__main__':
    sys.exit(main())
