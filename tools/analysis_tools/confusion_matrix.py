"""The confusion matrix of a checkpoint on its config's test set, as a picture.

    python tools/analysis_tools/confusion_matrix.py CONFIG CHECKPOINT --show-path cm.png \
        [--normalize] [--cmap viridis] [--cfg-options key=value ...]

It runs the config's test loop with MMEngine's stock Runner and zoo's ``ConfusionMatrix``
metric in place of the config's metrics (as mmpretrain's tool does), prints the matrix as
text and draws it: rows are the ground truth, columns the prediction, every count written.
"""
import argparse
import os.path as osp
import tempfile

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from zoo.evaluation import ConfusionMatrix
from zoo.utils import register_all_modules
from zoo.visualization import plot_confusion_matrix, save_png


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw the confusion matrix of a checkpoint')
    parser.add_argument('config', help='the model\'s config file')
    parser.add_argument('checkpoint', help='the checkpoint to evaluate')
    parser.add_argument('--show-path', required=True, help='the PNG to write')
    parser.add_argument(
        '--normalize',
        action='store_true',
        help='show each row as fractions of its ground-truth class')
    parser.add_argument('--cmap', default='viridis', help='a matplotlib colour map')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. test_dataloader.batch_size=32')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'no checkpoint at {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.test_evaluator = dict(type='ConfusionMatrix')
    cfg.load_from = None  # loaded below, strictly

    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        runner = Runner.from_cfg(cfg)
        try:
            runner.load_checkpoint(args.checkpoint, strict=True)
        except RuntimeError as error:
            raise RuntimeError(f'checkpoint {args.checkpoint} does not match the model of '
                               f'{args.config}:\n{error}') from None
        matrix = runner.test()['confusion_matrix/result']
        classes = runner.test_dataloader.dataset.metainfo.get('classes')

    print(ConfusionMatrix.to_text(matrix, classes))
    accuracy = float(matrix.diag().sum() / matrix.sum())
    title = f'{osp.splitext(osp.basename(args.config))[0]}: top-1 {100 * accuracy:.2f} %'
    figure = plot_confusion_matrix(
        matrix, classes, normalize=args.normalize, title=title, cmap=args.cmap)
    print(f'confusion matrix of {int(matrix.sum())} images: {save_png(figure, args.show_path)}')


if __name__ == '__main__':
    main()
