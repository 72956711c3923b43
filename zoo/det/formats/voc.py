"""Pascal VOC XML to and from :class:`DetectionSplit`.

Layout of a VOC root (one ``VOC<year>`` folder of a VOCdevkit)::

    <root>/Annotations/<id>.xml
    <root>/JPEGImages/<id>.jpg                (the file the XML's <filename> names)
    <root>/ImageSets/Main/<split>.txt         (one <id> a line)
    <root>/classes.txt                        (the class names in label order; zoo's addition:
                                               VOC itself does not record an order)

Coordinate convention (mmdet's): a VOC value ``v`` is the continuous coordinate ``v - 1``, for
all four of ``xmin, ymin, xmax, ymax``. This is what mmdet's ``XMLDataset`` reads (it subtracts
1 from each) and what its ``tools/dataset_converters/pascal_voc.py`` writes to COCO
(``w = xmax - xmin``), so the same data set loaded from VOC, COCO or YOLO through mmdet gives
the same boxes, and a detector's mAP is the same from each. The price: under the VOC devkit's
own reading (1-based *inclusive* pixel indices) a box written here is one pixel wider and
taller, and a box touching the right edge of a ``W``-wide image has ``xmax = W + 1``.

VOC stores whole pixels: converting a box with fractional edges to VOC rounds each edge to
the nearest pixel (:func:`voc_from_box` says whether it had to).
"""
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .annotations import (AnnotationChecker, DetectionSplit, ImageRecord, InvalidAnnotationError,
                          checked_box)
from .files import image_size, read_class_names, write_class_names


def voc_xml_path(root: str, img_id: str) -> str:
    return osp.join(root, 'Annotations', f'{img_id}.xml')


def voc_image_path(root: str, file_name: str) -> str:
    return osp.join(root, 'JPEGImages', file_name)


def voc_split_file(root: str, split: str) -> str:
    return osp.join(root, 'ImageSets', 'Main', f'{split}.txt')


def voc_classes_file(root: str) -> str:
    return osp.join(root, 'classes.txt')


def find_voc_splits(root: str) -> List[str]:
    """The splits of a VOC root: ``ImageSets/Main/<split>.txt`` (per-class lists, named
    ``<class>_<split>.txt``, are not splits)."""
    folder = osp.join(root, 'ImageSets', 'Main')
    if not osp.isdir(folder):
        return []
    return sorted(name[:-4] for name in os.listdir(folder)
                  if name.endswith('.txt') and '_' not in name)


def box_from_voc(xmin: float, ymin: float, xmax: float, ymax: float) -> Tuple[float, ...]:
    """Continuous ``[x1, y1, x2, y2]`` of VOC values (mmdet's convention: each minus 1)."""
    return (xmin - 1, ymin - 1, xmax - 1, ymax - 1)


def voc_from_box(box: Sequence[float]) -> Tuple[Tuple[int, int, int, int], bool]:
    """VOC ``(xmin, ymin, xmax, ymax)`` of a continuous box, and whether an edge was rounded
    (to the nearest whole pixel, ties to even as Python's ``round``).

    Example:
        >>> voc_from_box([0, 0, 10, 20])   # pixels 0..9 x 0..19 of the image
        ((1, 1, 11, 21), False)
    """
    rounded = tuple(int(round(float(v))) for v in box)
    changed = any(abs(r - float(v)) > 1e-6 for r, v in zip(rounded, box))
    return tuple(v + 1 for v in rounded), changed


def read_voc_annotation(xml_path: str,
                        img_dir: str,
                        img_id: str,
                        classes: Sequence[str],
                        checker: AnnotationChecker,
                        skip_unknown_classes: bool = False) -> Optional[ImageRecord]:
    """Read one VOC XML file; ``None`` when ``checker`` skipped the whole image.

    The image is ``<img_dir>/<filename>`` (the XML's ``<filename>``, else ``<img_id>.jpg``);
    its size comes from ``<size>``, else from the image header. Boxes are validated and
    converted to continuous coordinates; ``<difficult>1`` objects become ignored boxes.

    Args:
        xml_path: The annotation file.
        img_dir: The image folder (``JPEGImages``).
        img_id: The image id (the XML file's stem).
        classes: The class names, in label order.
        checker: Raises or skips (and counts) each problem.
        skip_unknown_classes: Drop objects whose class is not in ``classes`` without a report,
            as mmdet's ``XMLDataset`` does to train on a subset of the classes; otherwise an
            unknown class is a problem reported through ``checker``.
    """
    if not osp.isfile(xml_path):
        checker.skip(xml_path, 'annotation file not found')
        return None
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as error:
        checker.skip(xml_path, f'not valid XML: {error}')
        return None
    file_name = osp.basename((root.findtext('filename') or '').strip()) or f'{img_id}.jpg'
    img_path = osp.join(img_dir, file_name)
    if not osp.isfile(img_path):
        checker.skip(xml_path, f'image file {img_path} not found')
        return None
    try:
        width = int(float(root.findtext('size/width') or 0))
        height = int(float(root.findtext('size/height') or 0))
    except ValueError:
        width = height = 0
    if width <= 0 or height <= 0:
        width, height = image_size(img_path)

    label_of = {name: label for label, name in enumerate(classes)}
    boxes, labels, ignore_flags = [], [], []
    for index, obj in enumerate(root.findall('object')):
        name = (obj.findtext('name') or '').strip()
        where = f'{xml_path}: object {index} ({name!r})'
        if name not in label_of:
            if not skip_unknown_classes:
                checker.skip(where, f'class {name!r} is not one of {list(classes)}')
            continue
        try:
            values = []
            for key in ('xmin', 'ymin', 'xmax', 'ymax'):
                text = obj.findtext(f'bndbox/{key}')
                if text is None:
                    raise InvalidAnnotationError(f'<bndbox> has no <{key}>')
                try:
                    values.append(float(text))
                except ValueError:
                    raise InvalidAnnotationError(f'<{key}> is not a number: {text!r}') from None
            box = checked_box(*box_from_voc(*values), width, height)
        except InvalidAnnotationError as error:
            checker.skip(where, error)
            continue
        boxes.append(box)
        labels.append(label_of[name])
        ignore_flags.append(int(float(obj.findtext('difficult') or 0)) != 0)
    return ImageRecord(
        file_name=file_name,
        width=width,
        height=height,
        bboxes=boxes,
        labels=labels,
        ignore_flags=ignore_flags,
        img_path=img_path)


def read_voc(root: str,
             split: str,
             checker: Optional[AnnotationChecker] = None,
             classes: Optional[Sequence[str]] = None) -> DetectionSplit:
    """Read the split ``split`` of a VOC root.

    Classes: ``classes`` if given, else ``<root>/classes.txt``, else the sorted names found
    in the split's XML files.
    """
    split_file = voc_split_file(root, split)
    if not osp.isfile(split_file):
        raise FileNotFoundError(f'VOC split file not found: {split_file}')
    checker = checker or AnnotationChecker('raise', source=split_file)
    with open(split_file, encoding='utf-8') as f:
        img_ids = [line.split()[0] for line in f if line.strip()]
    if classes is None:
        if osp.isfile(voc_classes_file(root)):
            classes = read_class_names(voc_classes_file(root))
        else:
            classes = _names_in(voc_xml_path(root, i) for i in img_ids)
    records = []
    for img_id in img_ids:
        record = read_voc_annotation(
            voc_xml_path(root, img_id), osp.join(root, 'JPEGImages'), img_id, classes, checker)
        if record is not None:
            records.append(record)
    return DetectionSplit(classes=tuple(classes), images=records)


def _names_in(xml_paths) -> Tuple[str, ...]:
    names = set()
    for path in xml_paths:
        if osp.isfile(path):
            names.update((n.text or '').strip() for n in ET.parse(path).getroot().iter('name'))
    return tuple(sorted(names - {''}))


def voc_xml(record: ImageRecord, classes: Sequence[str], where: str,
            checker: AnnotationChecker) -> Tuple[ET.ElementTree, int]:
    """The XML tree of one image, and how many of its boxes had to be rounded."""
    annotation = ET.Element('annotation')
    ET.SubElement(annotation, 'filename').text = record.file_name
    size = ET.SubElement(annotation, 'size')
    ET.SubElement(size, 'width').text = str(int(record.width))
    ET.SubElement(size, 'height').text = str(int(record.height))
    ET.SubElement(size, 'depth').text = '3'
    ET.SubElement(annotation, 'segmented').text = '0'
    num_rounded = 0
    for index, (box, label,
                ignore) in enumerate(zip(record.bboxes, record.labels, record.ignore_flags)):
        (xmin, ymin, xmax, ymax), rounded = voc_from_box(box)
        if xmax <= xmin or ymax <= ymin:
            checker.skip(
                f'{where}, box {index}',
                f'box {list(np.round(box, 3))} is under half a pixel wide or high: '
                'VOC stores whole pixels')
            continue
        num_rounded += rounded
        obj = ET.SubElement(annotation, 'object')
        ET.SubElement(obj, 'name').text = classes[int(label)]
        ET.SubElement(obj, 'pose').text = 'Unspecified'
        ET.SubElement(obj, 'truncated').text = '0'
        ET.SubElement(obj, 'difficult').text = str(int(ignore))
        bndbox = ET.SubElement(obj, 'bndbox')
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), (xmin, ymin, xmax, ymax)):
            ET.SubElement(bndbox, key).text = str(value)
    tree = ET.ElementTree(annotation)
    ET.indent(tree)
    return tree, num_rounded


def write_voc(data: DetectionSplit,
              root: str,
              split: str,
              checker: Optional[AnnotationChecker] = None) -> int:
    """Write the XML files, ``ImageSets/Main/<split>.txt`` and ``classes.txt`` of ``data``.

    Images are not touched (the caller places them at :func:`voc_image_path`). VOC keeps all
    images of all splits in one flat folder, so ``file_name`` must have no folder part.

    Returns:
        The number of boxes whose edges had to be rounded to whole pixels.
    """
    checker = checker or AnnotationChecker('raise', source=root)
    os.makedirs(osp.join(root, 'Annotations'), exist_ok=True)
    os.makedirs(osp.dirname(voc_split_file(root, split)), exist_ok=True)
    img_ids, num_rounded = [], 0
    for record in data.images:
        if '/' in record.file_name or '\\' in record.file_name:
            raise ValueError(f'VOC keeps images in one flat JPEGImages folder; {record.file_name!r}'
                             ' has a folder part')
        img_id = osp.splitext(record.file_name)[0]
        xml_path = voc_xml_path(root, img_id)
        tree, rounded = voc_xml(record, data.classes, xml_path, checker)
        tree.write(xml_path, encoding='utf-8')
        img_ids.append(img_id)
        num_rounded += rounded
    with open(voc_split_file(root, split), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{img_id}\n' for img_id in img_ids))
    write_class_names(data.classes, voc_classes_file(root))
    return num_rounded
