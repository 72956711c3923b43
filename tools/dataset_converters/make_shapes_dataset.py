"""Generate the synthetic shapes detection data set in COCO, VOC and YOLO form at once.

Every image holds 1-5 coloured rectangles, ellipses and triangles (the 3 classes) on a
textured background (noise, a gradient or stripes), with the exact tight box of each shape.
The same arguments give the same files, byte for byte; image ``i`` depends only on the seed,
the split and ``i``. Layout (see ``zoo.det.synthetic.shapes``)::

    <out>/coco/annotations/instances_{train,val}.json   <out>/coco/{train,val}/*.jpg
    <out>/voc/Annotations/*.xml   <out>/voc/JPEGImages/*.jpg   <out>/voc/ImageSets/Main/*.txt
    <out>/yolo/classes.txt   <out>/yolo/{train,val}.txt   <out>/yolo/{images,labels}/{train,val}/
    <out>/manifest.json

The data set is written to a temporary sibling folder, which is renamed to ``<out>`` only
when it is complete, so an interrupted run never leaves a partial data set at ``<out>``. A
second run with the same arguments finds the complete data set and does nothing; ``--force``
rewrites it.

Usage::

    python tools/dataset_converters/make_shapes_dataset.py [--out data/shapes]
        [--num-train 200] [--num-val 50] [--img-size 256 | --img-size W H] [--seed 0]
        [--min-objects 1] [--max-objects 5] [--force]
"""
import argparse
import sys
from typing import Optional, Sequence

from zoo.det.synthetic import SHAPE_CLASSES, make_shapes_dataset


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='data/shapes', help='the data set folder to write')
    parser.add_argument('--num-train', type=int, default=200, help='images in the train split')
    parser.add_argument('--num-val', type=int, default=50, help='images in the val split')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs='+',
        default=[256],
        metavar='PX',
        help='image size: one value for square images, or WIDTH HEIGHT')
    parser.add_argument('--seed', type=int, default=0, help='the seed of the whole set')
    parser.add_argument('--min-objects', type=int, default=1, help='fewest shapes an image holds')
    parser.add_argument('--max-objects', type=int, default=5, help='most shapes an image holds')
    parser.add_argument('--force', action='store_true', help='rewrite an existing data set')
    args = parser.parse_args(argv)
    if len(args.img_size) not in (1, 2):
        parser.error(f'--img-size takes one value or WIDTH HEIGHT, got {args.img_size}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    img_size = args.img_size[0] if len(args.img_size) == 1 else tuple(args.img_size)
    try:
        result = make_shapes_dataset(
            args.out,
            num_train=args.num_train,
            num_val=args.num_val,
            img_size=img_size,
            seed=args.seed,
            num_objects=(args.min_objects, args.max_objects),
            force=args.force,
            progress=True)
    except (FileExistsError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    if result['status'] == 'unchanged':
        print(f'{result["out"]} already holds this shapes data set; nothing to do '
              f'(--force rewrites it)')
    else:
        print(f'wrote the shapes data set ({", ".join(SHAPE_CLASSES)}) to {result["out"]} '
              'in COCO (coco/), VOC (voc/) and YOLO (yolo/) form')
    for split, counts in result['splits'].items():
        print(f'  {split}: {counts["images"]} images, {counts["boxes"]} boxes')
    return 0


if __name__ == '__main__':
    sys.exit(main())
