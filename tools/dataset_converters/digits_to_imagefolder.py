"""Write scikit-learn's handwritten digits as an ImageFolder data set with a fixed val split.

scikit-learn ships the 1,797 8x8 digits of the UCI "Optical Recognition of Handwritten Digits"
test set inside its package (``sklearn.datasets.load_digits``), so nothing is downloaded. This
script writes them as 8-bit grayscale PNG files::

    <out>/train/<digit>/<index>.png   (about 80 %, 1,438 images)
    <out>/val/<digit>/<index>.png     (about 20 %, 359 images)

``<digit>`` is ``0`` .. ``9`` (the class names, in label order) and ``<index>`` the sample's
position in ``load_digits()``. Pixel values 0..16 are scaled to 0..255. The val split is
stratified (every digit split 80/20) and fixed: a seeded shuffle of each digit's samples,
the same on every machine (see ``zoo.datasets.stratified_split``).

The data set is written to a temporary sibling folder, which is renamed to ``<out>`` only
when it is complete, so an interrupted run never leaves a partial data set at ``<out>``. A
second run finds the complete data set and does nothing (``--force`` rewrites it).

Usage::

    python tools/dataset_converters/digits_to_imagefolder.py [--out data/digits] [--force]
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from zoo.datasets import stratified_split
from zoo.utils.atomic import atomic_output_dir
from zoo.utils.progress import track

SPLIT_SEED = 2024
VAL_RATIO = 0.2
CLASSES = tuple(str(digit) for digit in range(10))


def plan_files(targets: Sequence[int]) -> Dict[str, List[int]]:
    """The sample indices of each split: ``{'train': [...], 'val': [...]}`` (sorted)."""
    keys = [f'{index:04d}' for index in range(len(targets))]
    train, val = stratified_split(keys, list(targets), VAL_RATIO, SPLIT_SEED)
    return dict(train=train, val=val)


def relative_path(split: str, label: int, index: int) -> str:
    return osp.join(split, CLASSES[label], f'{index:04d}.png')


def expected_files(targets: Sequence[int]) -> List[str]:
    """Every file the complete data set holds, relative to ``<out>``."""
    plan = plan_files(targets)
    return sorted(
        relative_path(split, int(targets[i]), i) for split, indices in plan.items()
        for i in indices)


def present_files(out: str) -> List[str]:
    found = []
    for root, _, names in os.walk(out):
        found.extend(osp.relpath(osp.join(root, n), out) for n in names)
    return sorted(found)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An 8x8 digit with values 0..16 as a uint8 image with values 0..255."""
    return np.clip(np.round(image * (255.0 / 16.0)), 0, 255).astype(np.uint8)


def write_dataset(folder: str, images: np.ndarray, targets: np.ndarray) -> Dict[str, Dict]:
    """Write the PNG files under ``folder``; return the count of every split and class."""
    counts = {}
    for split, indices in plan_files(targets).items():
        counts[split] = {name: 0 for name in CLASSES}
        for index in track(indices):
            label = int(targets[index])
            path = osp.join(folder, relative_path(split, label, index))
            os.makedirs(osp.dirname(path), exist_ok=True)
            if not cv2.imwrite(path, to_uint8(images[index])):
                raise OSError(f'could not write {path}')
            counts[split][CLASSES[label]] += 1
    return counts


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='data/digits', help='the data set folder to write')
    parser.add_argument('--force', action='store_true', help='rewrite an existing data set')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, targets = digits.images, digits.target
    out = osp.normpath(args.out)
    if osp.exists(out) and not args.force:
        if not osp.isdir(out):
            print(
                f'{out} exists and is not a folder; remove it or choose another --out',
                file=sys.stderr)
            return 1
        if present_files(out) == expected_files(targets):
            print(f'{out} already holds the complete digits data set '
                  f'({len(targets)} images); nothing to do (--force rewrites it)')
            return 0
        print(
            f'{out} exists but is not the complete digits data set; rerun with --force to '
            f'replace it',
            file=sys.stderr)
        return 1

    # Written beside the target and renamed at the end: a run stopped half-way leaves only the
    # temporary folder, which the next run removes.
    with atomic_output_dir(out) as tmp:
        counts = write_dataset(tmp, images, targets)

    print(f'wrote the {len(targets)} scikit-learn digits (8x8, grayscale PNG) to {out}')
    for split, per_class in counts.items():
        per_class_text = ', '.join(f'{name}: {n}' for name, n in per_class.items())
        print(f'  {split}: {sum(per_class.values())} images ({per_class_text})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
