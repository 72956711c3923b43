"""Convert a detection data set between COCO JSON, Pascal VOC XML and YOLO text.

Every split of SRC (or those named by ``--splits``) is read, checked and written to DST in the
other format, images included (hard-linked where the file system allows, else copied).
Layouts (see ``zoo.det.formats``)::

    coco: annotations/instances_<split>.json, <split>/<file_name>
    voc:  Annotations/<id>.xml, JPEGImages/<id>.jpg, ImageSets/Main/<split>.txt, classes.txt
    yolo: classes.txt, <split>.txt, images/<split>/<file>, labels/<split>/<stem>.txt

Boxes and classes survive every round trip: whole-pixel boxes exactly, others within 1e-6 px,
except that VOC stores whole pixels (fractional edges are rounded, and counted) and YOLO has
no ignore flag (COCO ``iscrowd`` / VOC ``difficult`` boxes are left out, and counted). VOC
coordinates follow mmdet's convention: a VOC value is the COCO coordinate plus 1. COCO
category ids are written as 1..C in class order; image ids as 1..N in list order.

A broken annotation (missing image, box of negative size or outside its image, malformed
YOLO line, unknown class) stops the conversion with the file and line, or with
``--on-error skip`` is left out with a warning and counted.

DST is written to a temporary sibling folder and renamed when complete (a failed conversion
leaves nothing behind); an existing DST is only replaced with ``--force``, and DST may not be
SRC, lie inside it or hold it.

Usage::

    python tools/dataset_converters/convert_det_dataset.py SRC DST --from voc --to coco
        [--splits train val] [--classes a,b,c | --classes names.txt] [--on-error skip] [--force]
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from zoo.det.formats import FORMATS, InvalidAnnotationError, convert_dataset, read_class_names
from zoo.det.formats.convert import check_separate


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='the data set root to read')
    parser.add_argument('dst', help='the data set root to write')
    parser.add_argument(
        '--from', dest='src_format', required=True, choices=FORMATS, help='the format of SRC')
    parser.add_argument(
        '--to', dest='dst_format', required=True, choices=FORMATS, help='the format to write')
    parser.add_argument('--splits', nargs='+', help='the splits to convert (default: all)')
    parser.add_argument(
        '--classes',
        help='class names in label order, comma-separated or a '
        'file with one a line (only for VOC without classes.txt)')
    parser.add_argument(
        '--on-error',
        choices=('raise', 'skip'),
        default='raise',
        help='stop at a broken annotation, or skip it with a warning')
    parser.add_argument('--force', action='store_true', help='replace an existing DST')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        check_separate(args.src, args.dst)
    except ValueError as error:
        print(f'refused: {error}', file=sys.stderr)
        return 1
    if osp.exists(args.dst) and not args.force:
        print(
            f'{args.dst} exists; choose another DST or use --force to replace it', file=sys.stderr)
        return 1
    classes = None
    if args.classes:
        classes = (
            read_class_names(args.classes) if osp.isfile(args.classes) else tuple(
                name.strip() for name in args.classes.split(',') if name.strip()))
    try:
        results = convert_dataset(
            args.src,
            args.dst,
            args.src_format,
            args.dst_format,
            splits=args.splits,
            on_error=args.on_error,
            classes=classes,
            progress=True)
    except (InvalidAnnotationError, FileNotFoundError, ValueError) as error:
        print(f'conversion failed: {error}', file=sys.stderr)
        return 1
    print(f'converted {args.src} ({args.src_format}) to {args.dst} ({args.dst_format})')
    for split, stats in results.items():
        notes = []
        if stats['rounded']:
            notes.append(f'{stats["rounded"]} boxes rounded to whole pixels (VOC)')
        if stats['dropped']:
            notes.append(f'{stats["dropped"]} ignored (crowd/difficult) boxes left out (YOLO)')
        if stats['skipped']:
            notes.append(f'{stats["skipped"]} broken annotations skipped')
        print(f'  {split}: {stats["images"]} images, {stats["boxes"]} boxes' +
              (f'; {"; ".join(notes)}' if notes else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
