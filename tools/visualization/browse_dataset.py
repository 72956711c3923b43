"""Draw what a config's data pipeline gives the model: each image after the transforms,
with its labels (classification) or its boxes and classes (detection).

    python tools/visualization/browse_dataset.py CONFIG --output-dir DIR \
        [--phase train|val|test] [--show-number 10] [--resize 224] [--cfg-options ...]

It writes ``DIR/<image name>.png`` for the first ``--show-number`` samples of the phase's
data set. Classification samples are drawn by zoo's ``UniversalVisualizer`` (the
ground-truth label and class name; the image's short edge scaled to ``--resize`` so the text
is legible), detection samples (those with ``gt_instances``, e.g. from a shapes or COCO config)
by mmdet's ``DetLocalVisualizer`` (boxes and class names, at the pipeline's size). Random
transforms draw anew on every run, so browsing a train pipeline shows its augmentation.
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import DATASETS, init_default_scope
from mmengine.utils import ProgressBar

from zoo.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw the output of a config\'s pipeline')
    parser.add_argument('config', help='the config file')
    parser.add_argument('--output-dir', required=True, help='where the PNGs go')
    parser.add_argument(
        '--phase',
        default='train',
        choices=['train', 'val', 'test'],
        help='whose data loader\'s data set to draw')
    parser.add_argument('--show-number', type=int, default=10, help='how many samples')
    parser.add_argument(
        '--resize',
        type=int,
        default=224,
        help='classification: scale short edges below this up to it')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config entries')
    return parser.parse_args()


def to_rgb(inputs) -> np.ndarray:
    """A packed ``(C, H, W)`` BGR (or gray) tensor as an ``(H, W, 3)`` RGB array."""
    image = inputs.permute(1, 2, 0).cpu().numpy().astype(np.uint8)
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., ::-1].copy()


def main() -> None:
    args = parse_args()
    if args.show_number < 1:
        raise ValueError(f'--show-number must be >= 1, got {args.show_number}')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.get(f'{args.phase}_dataloader')
    if loader is None:
        raise KeyError(f'{args.config} has no {args.phase}_dataloader')
    init_default_scope(cfg.get('default_scope', 'zoo'))
    dataset = DATASETS.build(loader.dataset)

    first = dataset[0]['data_samples']
    if 'gt_instances' in first:
        from mmdet.visualization import DetLocalVisualizer  # needs mmdet: detection only
        visualizer = DetLocalVisualizer.get_instance('browse_dataset')
    else:
        from zoo.visualization import UniversalVisualizer
        visualizer = UniversalVisualizer.get_instance('browse_dataset')
    visualizer.dataset_meta = dataset.metainfo

    # mmdet's test pipelines load the boxes after Resize, to evaluate in the original image's
    # coordinates: those boxes are scaled here to the image drawn.
    steps = [step['type'] for step in loader.dataset.get('pipeline', [])]
    loads = [i for i, t in enumerate(steps) if t.endswith('LoadAnnotations')]
    resizes = [i for i, t in enumerate(steps) if 'Resize' in t]
    boxes_unscaled = bool(loads and resizes and loads[0] > resizes[0])

    number = min(args.show_number, len(dataset))
    progress = ProgressBar(number)
    for index in range(number):
        item = dataset[index]
        image, sample = to_rgb(item['inputs']), item['data_samples']
        name = osp.splitext(osp.basename(sample.get('img_path', str(index))))[0]
        out_file = osp.join(args.output_dir, f'{name}.png')
        if 'gt_instances' in sample:
            boxes = sample.gt_instances.get('bboxes')
            if boxes_unscaled:
                boxes.rescale_(sample.scale_factor)
            if hasattr(boxes, 'tensor'):  # mmdet's box type: the visualizer takes tensors
                sample.gt_instances.bboxes = boxes.tensor
            visualizer.add_datasample(
                name, image, sample, draw_pred=False, show=False, out_file=out_file)
        else:
            resize = args.resize if min(image.shape[:2]) < args.resize else None
            visualizer.visualize_cls(
                image, sample, draw_pred=False, resize=resize, out_file=out_file)
        progress.update()
    print(f'\n{number} samples of {args.phase} drawn to {args.output_dir}')


if __name__ == '__main__':
    main()
