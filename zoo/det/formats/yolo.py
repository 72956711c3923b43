"""YOLO text labels to and from :class:`DetectionSplit`.

Layout of a YOLO root (Ultralytics' layout, with a darknet-style names file)::

    <root>/classes.txt                  class names, one a line, line i = class id i
    <root>/images/<split>/<file_name>
    <root>/labels/<split>/<stem>.txt    one line per box: ``class cx cy w h``
    <root>/<split>.txt                  the split's images, one path a line, relative to <root>

The label file of an image is found as Ultralytics finds it: the last ``images`` folder of the
image path becomes ``labels`` and the extension ``.txt``. An image without a label file, or with
an empty one, has no objects. ``cx cy w h`` are the box centre and size divided by the image
width and height, so they lie in ``[0, 1]``; the image size is not stored and comes from the
image header.

Precision: values are written with 12 decimals (trailing zeros stripped) and read back into
pixels rounded to 6 decimals (:func:`box_from_yolo`), which removes the floating-point noise of
the normalisation: whole-pixel boxes (VOC's, the shapes generator's) come back exactly on images
up to 100,000 px, any box within 1e-6 px.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

from zoo.datasets.custom import IMG_EXTENSIONS
from .annotations import (AnnotationChecker, DetectionSplit, ImageRecord, InvalidAnnotationError,
                          checked_box)
from .files import image_size, read_class_names, write_class_names

YOLO_DECIMALS = 12
PIXEL_DECIMALS = 6


def yolo_classes_file(root: str) -> str:
    return osp.join(root, 'classes.txt')


def yolo_image_path(root: str, split: str, file_name: str) -> str:
    return osp.join(root, 'images', split, file_name)


def yolo_list_file(root: str, split: str) -> str:
    return osp.join(root, f'{split}.txt')


def yolo_label_path(img_path: str) -> str:
    """The label file of an image: ``.../images/a/b.jpg`` -> ``.../labels/a/b.txt``.

    Raises:
        ValueError: if the path has no ``images`` folder.
    """
    parts = osp.normpath(img_path).split(os.sep)
    folders = parts[:-1]
    if 'images' not in folders:
        raise ValueError(f'{img_path}: a YOLO image must lie under an "images" folder, whose '
                         '"labels" sibling holds its label file')
    index = len(folders) - 1 - folders[::-1].index('images')
    parts[index] = 'labels'
    parts[-1] = osp.splitext(parts[-1])[0] + '.txt'
    return os.sep.join(parts)


def find_yolo_splits(root: str) -> List[str]:
    """The splits of a YOLO root: the ``<split>.txt`` lists and the folders under ``images/``."""
    splits = set()
    if osp.isdir(root):
        splits.update(name[:-4] for name in os.listdir(root)
                      if name.endswith('.txt') and name != 'classes.txt')
    if osp.isdir(osp.join(root, 'images')):
        splits.update(
            entry.name for entry in os.scandir(osp.join(root, 'images')) if entry.is_dir())
    return sorted(splits)


def box_from_yolo(cx: float, cy: float, w: float, h: float, width: int,
                  height: int) -> Tuple[float, float, float, float]:
    """Continuous pixel ``[x1, y1, x2, y2]`` of a normalised YOLO box, rounded to 1e-6 px.

    Example:
        >>> box_from_yolo(0.25, 0.5, 0.5, 0.2, width=64, height=50)
        (0.0, 20.0, 32.0, 30.0)
    """
    box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
    return tuple(round(v, PIXEL_DECIMALS) + 0.0 for v in box)


def yolo_from_box(box: Sequence[float], width: int, height: int) -> Tuple[float, ...]:
    """Normalised ``(cx, cy, w, h)`` of a continuous pixel box."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return ((x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height)


def format_yolo_number(value: float) -> str:
    """``value`` with :data:`YOLO_DECIMALS` decimals, trailing zeros stripped: ``'0.328125'``."""
    text = f'{value:.{YOLO_DECIMALS}f}'.rstrip('0').rstrip('.')
    return '0' if text in ('', '-0') else text


def read_yolo_labels(label_file: str, width: int, height: int, num_classes: int,
                     checker: AnnotationChecker) -> Tuple[np.ndarray, np.ndarray]:
    """The boxes and class ids of one label file; a missing file means no objects.

    Each non-blank line must be ``class cx cy w h``: an integer class id in
    ``0..num_classes-1`` and four finite numbers describing a box of positive size inside the
    image (see :func:`.annotations.checked_box`). Every other line goes through ``checker``
    with the file and line number.

    Returns:
        ``(N, 4)`` float64 continuous pixel ``[x1, y1, x2, y2]`` and ``(N,)`` int64 labels.
    """
    boxes, labels = [], []
    if osp.isfile(label_file):
        with open(label_file, encoding='utf-8') as f:
            lines = f.read().splitlines()
        for line_no, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            where = f'{label_file}, line {line_no}'
            try:
                if len(fields) != 5:
                    raise InvalidAnnotationError(
                        f'expected 5 fields "class cx cy w h", got {len(fields)}: {line.strip()!r}')
                try:
                    label = int(fields[0])
                except ValueError:
                    raise InvalidAnnotationError(
                        f'the class id must be an integer, got {fields[0]!r}') from None
                if not 0 <= label < num_classes:
                    raise InvalidAnnotationError(
                        f'class id {label} is out of range (0..{num_classes - 1})')
                try:
                    cx, cy, w, h = (float(v) for v in fields[1:])
                except ValueError:
                    raise InvalidAnnotationError(
                        f'cx cy w h must be numbers, got {fields[1:]}') from None
                box = checked_box(*box_from_yolo(cx, cy, w, h, width, height), width, height)
            except InvalidAnnotationError as error:
                checker.skip(where, error)
                continue
            boxes.append(box)
            labels.append(label)
    return (np.array(boxes, dtype=np.float64).reshape(-1, 4), np.array(labels, dtype=np.int64))


def list_yolo_images(root: str, split: str) -> List[Tuple[str, str]]:
    """``(where, image path)`` of a split: from ``<root>/<split>.txt`` (paths relative to the
    list's folder), else every image under ``<root>/images/<split>/`` in sorted order."""
    list_file = yolo_list_file(root, split)
    if osp.isfile(list_file):
        return read_image_list(list_file)
    folder = osp.join(root, 'images', split)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'YOLO split {split!r} not found: neither {list_file} nor '
                                f'{folder} exists')
    return [(path, path) for path in scan_images(folder)]


def read_image_list(list_file: str) -> List[Tuple[str, str]]:
    """``(where, path)`` for each non-blank line; relative paths start at the list's folder."""
    base = osp.dirname(osp.abspath(list_file))
    entries = []
    with open(list_file, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            path = line.strip()
            if path:
                entries.append((f'{list_file}, line {line_no}', osp.normpath(osp.join(base, path))))
    return entries


def scan_images(folder: str) -> List[str]:
    """Every image file under ``folder`` (recursively), sorted."""
    found = []
    for root, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        found.extend(
            osp.join(root, n) for n in names
            if not n.startswith('.') and n.lower().endswith(IMG_EXTENSIONS))
    return sorted(found)


def read_yolo(root: str, split: str, checker: Optional[AnnotationChecker] = None) -> DetectionSplit:
    """Read the split ``split`` of a YOLO root; ``file_name`` is relative to ``images/<split>``."""
    checker = checker or AnnotationChecker('raise', source=root)
    classes = read_class_names(yolo_classes_file(root))
    img_dir = osp.join(osp.abspath(root), 'images', split)
    records = []
    for where, img_path in list_yolo_images(root, split):
        rel = osp.relpath(img_path, img_dir)
        if rel.startswith('..'):
            raise InvalidAnnotationError(f'{where}: {img_path} is not under {img_dir}')
        record = read_yolo_image(where, img_path, rel.replace(os.sep, '/'), len(classes), checker)
        if record is not None:
            records.append(record)
    return DetectionSplit(classes=classes, images=records)


def read_yolo_image(where: str, img_path: str, file_name: str, num_classes: int,
                    checker: AnnotationChecker) -> Optional[ImageRecord]:
    """One listed image: its size (from the header) and the boxes of its label file;
    ``None`` when ``checker`` skipped the image (missing or unreadable)."""
    if not osp.isfile(img_path):
        checker.skip(where, f'image file {img_path} not found')
        return None
    try:
        width, height = image_size(img_path)
    except OSError as error:
        checker.skip(where, f'cannot read the image {img_path}: {error}')
        return None
    bboxes, labels = read_yolo_labels(
        yolo_label_path(img_path), width, height, num_classes, checker)
    return ImageRecord(
        file_name=file_name,
        width=width,
        height=height,
        bboxes=bboxes,
        labels=labels,
        img_path=img_path)


def write_yolo(data: DetectionSplit, root: str, split: str) -> int:
    """Write the label files, ``<split>.txt`` and ``classes.txt`` of ``data``.

    Images are not touched (the caller places them at :func:`yolo_image_path`). YOLO has no
    ignore flag: ignored boxes (COCO ``iscrowd``, VOC ``difficult``) are left out, as
    Ultralytics' own VOC conversion leaves out difficult objects.

    Returns:
        The number of ignored boxes left out.
    """
    lines, num_dropped = [], 0
    for record in data.images:
        img_path = yolo_image_path(root, split, record.file_name)
        label_file = yolo_label_path(img_path)
        os.makedirs(osp.dirname(label_file), exist_ok=True)
        rows = []
        for box, label, ignore in zip(record.bboxes, record.labels, record.ignore_flags):
            if ignore:
                num_dropped += 1
                continue
            values = yolo_from_box(box, record.width, record.height)
            rows.append(' '.join([str(int(label))] + [format_yolo_number(v) for v in values]))
        with open(label_file, 'w', encoding='utf-8') as f:
            f.write(''.join(f'{row}\n' for row in rows))
        lines.append(osp.relpath(img_path, root).replace(os.sep, '/'))
    with open(yolo_list_file(root, split), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{line}\n' for line in lines))
    write_class_names(data.classes, yolo_classes_file(root))
    return num_dropped
