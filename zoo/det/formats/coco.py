"""COCO JSON (``instances_<split>.json``) to and from :class:`DetectionSplit`.

Layout of a COCO data set root, as COCO itself and mmdet's configs have it::

    <root>/annotations/instances_<split>.json
    <root>/<split>/<file_name>                  (e.g. train/000001.jpg)

Boxes are ``[x, y, w, h]`` in continuous pixel coordinates (see :mod:`.annotations`). Writing
rounds every number to 6 decimals (integers stay integers): that removes the floating-point
noise of the ``xywh <-> xyxy`` and YOLO normalisation arithmetic, so whole-pixel boxes survive
any round trip exactly and any other box within 5e-7 px. Category ids are written as ``1..C``
in class order (VOC and YOLO carry no ids); classes keep their names and order. ``area`` is
the box area (there are no masks), as mmdet's ``CocoMetric`` computes it for data sets without
a COCO file, so both give identical small/medium/large figures.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from .annotations import (AnnotationChecker, DetectionSplit, ImageRecord, InvalidAnnotationError,
                          checked_box)

COORD_DECIMALS = 6


def coco_ann_file(root: str, split: str) -> str:
    return osp.join(root, 'annotations', f'instances_{split}.json')


def coco_image_path(root: str, split: str, file_name: str) -> str:
    return osp.join(root, split, file_name)


def find_coco_splits(root: str) -> List[str]:
    """The splits of a COCO root: ``<split>`` of each ``annotations/instances_<split>.json``."""
    folder = osp.join(root, 'annotations')
    if not osp.isdir(folder):
        return []
    return sorted(name[len('instances_'):-len('.json')] for name in os.listdir(folder)
                  if name.startswith('instances_') and name.endswith('.json'))


def clean_number(value: float):
    """``value`` rounded to :data:`COORD_DECIMALS` decimals, as an ``int`` when whole."""
    value = round(float(value), COORD_DECIMALS)
    return int(value) if value.is_integer() else value


def checked_coco_box(bbox, width: int, height: int) -> Tuple[float, float, float, float]:
    """``[x1, y1, x2, y2]`` of a COCO ``[x, y, w, h]``, checked and clipped to the image.

    Raises:
        InvalidAnnotationError: if ``bbox`` is not 4 numbers or the box is broken (see
            :func:`.annotations.checked_box`).
    """
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4 \
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox):
        raise InvalidAnnotationError(f'bbox must be 4 numbers [x, y, w, h], got {bbox!r}')
    x, y, w, h = (float(v) for v in bbox)
    return checked_box(x, y, x + w, y + h, width, height)


def read_coco(ann_file: str,
              img_dir: str,
              checker: Optional[AnnotationChecker] = None) -> DetectionSplit:
    """Read a COCO annotation file; the images are ``<img_dir>/<file_name>``.

    Classes are the categories ordered by id. Annotations with ``iscrowd`` become ignored
    boxes. Every problem goes through ``checker`` (default: raise): an image file that does
    not exist (the image is dropped), an annotation of an unknown image or category, a
    malformed box, one with negative or zero size or outside its image (the box is dropped).

    Raises:
        FileNotFoundError: if ``ann_file`` does not exist.
        InvalidAnnotationError: for a file that is not a COCO detection file, or for any of
            the problems above when ``checker.on_error == 'raise'``.
    """
    checker = checker or AnnotationChecker('raise', source=ann_file)
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'COCO annotation file not found: {ann_file}')
    with open(ann_file, encoding='utf-8') as f:
        try:
            content = json.load(f)
        except json.JSONDecodeError as error:
            raise InvalidAnnotationError(f'{ann_file} is not valid JSON: {error}') from None
    missing = [key for key in ('images', 'categories') if key not in content]
    if missing:
        raise InvalidAnnotationError(f'{ann_file} has no {missing} list: not a COCO detection '
                                     'annotation file')

    categories = sorted(content['categories'], key=lambda c: c['id'])
    label_of: Dict[int, int] = {}
    for label, category in enumerate(categories):
        if category['id'] in label_of:
            raise InvalidAnnotationError(f'{ann_file}: category id {category["id"]} appears '
                                         'twice in "categories"')
        label_of[category['id']] = label
    classes = tuple(c['name'] for c in categories)
    if len(set(classes)) != len(classes):
        raise InvalidAnnotationError(f'{ann_file}: category names repeat: {list(classes)}')

    records: Dict[int, ImageRecord] = {}
    known_ids = set()
    for index, info in enumerate(content['images']):
        where = f'{ann_file}: images[{index}] (id {info.get("id")})'
        if info['id'] in known_ids:
            raise InvalidAnnotationError(f'{where}: image id {info["id"]} appears twice')
        known_ids.add(info['id'])
        img_path = osp.join(img_dir, info['file_name'])
        if not osp.isfile(img_path):
            checker.skip(where, f'image file {img_path} not found')
            continue
        records[info['id']] = ImageRecord(
            file_name=info['file_name'],
            width=int(info['width']),
            height=int(info['height']),
            img_path=img_path)

    boxes: Dict[int, list] = {image_id: [] for image_id in records}
    for index, ann in enumerate(content.get('annotations', [])):
        where = f'{ann_file}: annotations[{index}] (id {ann.get("id")})'
        image_id = ann.get('image_id')
        if image_id not in known_ids:
            checker.skip(where, f'image_id {image_id} is not in "images"')
            continue
        if image_id not in records:
            continue  # its image was skipped, and reported, above
        if ann.get('category_id') not in label_of:
            checker.skip(
                where, f'category_id {ann.get("category_id")} is not in "categories" '
                f'(ids: {sorted(label_of)})')
            continue
        record = records[image_id]
        try:
            box = checked_coco_box(ann.get('bbox'), record.width, record.height)
        except InvalidAnnotationError as error:
            checker.skip(f'{where}, image {record.file_name!r}', error)
            continue
        boxes[image_id].append((box, label_of[ann['category_id']], bool(ann.get('iscrowd', 0))))

    for image_id, record in records.items():
        found = boxes[image_id]
        if found:
            record.bboxes = np.array([b for b, _, _ in found], dtype=np.float64)
            record.labels = np.array([l for _, l, _ in found], dtype=np.int64)
            record.ignore_flags = np.array([i for _, _, i in found], dtype=bool)
    return DetectionSplit(classes=classes, images=list(records.values()))


def coco_dict(data: DetectionSplit, description: str = '') -> dict:
    """The COCO JSON content of ``data``: image ids ``1..N`` and annotation ids ``1..M`` in
    order, category ids ``1..C`` in class order."""
    images, annotations = [], []
    for image_id, record in enumerate(data.images, start=1):
        images.append(
            dict(
                id=image_id,
                file_name=record.file_name,
                width=int(record.width),
                height=int(record.height)))
        for box, label, ignore in zip(record.bboxes, record.labels, record.ignore_flags):
            x1, y1, x2, y2 = (clean_number(v) for v in box)
            w, h = clean_number(x2 - x1), clean_number(y2 - y1)
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=int(label) + 1,
                    bbox=[x1, y1, w, h],
                    area=clean_number(w * h),
                    iscrowd=int(ignore)))
    categories = [dict(id=label + 1, name=name) for label, name in enumerate(data.classes)]
    return dict(
        info=dict(description=description),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=categories)


def write_coco(data: DetectionSplit, ann_file: str, description: str = '') -> None:
    """Write ``data`` as a COCO annotation file (see :func:`coco_dict`)."""
    os.makedirs(osp.dirname(osp.abspath(ann_file)), exist_ok=True)
    with open(ann_file, 'w', encoding='utf-8') as f:
        json.dump(coco_dict(data, description), f)
