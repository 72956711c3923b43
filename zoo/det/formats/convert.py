"""Whole data sets in any of the three formats: find splits, read, write (images included)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from zoo.utils.progress import track
from .annotations import AnnotationChecker, DetectionSplit, check_on_error
from .coco import coco_ann_file, coco_image_path, find_coco_splits, read_coco, write_coco
from .files import atomic_output_dir, link_or_copy
from .voc import find_voc_splits, read_voc, voc_image_path, write_voc
from .yolo import find_yolo_splits, read_yolo, write_yolo, yolo_image_path

FORMATS = ('coco', 'voc', 'yolo')


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f'unknown data set format {fmt!r}; choose one of {FORMATS}')
    return fmt


def find_splits(root: str, fmt: str) -> List[str]:
    """The split names a data set root in format ``fmt`` holds (see each format's module)."""
    finder = dict(coco=find_coco_splits, voc=find_voc_splits, yolo=find_yolo_splits)
    return finder[_check_format(fmt)](root)


def read_split(root: str,
               fmt: str,
               split: str,
               checker: Optional[AnnotationChecker] = None,
               classes: Optional[Sequence[str]] = None) -> DetectionSplit:
    """Read one split of a data set root in format ``fmt``.

    ``classes`` only matters for VOC, whose files do not record the class order (see
    :func:`.voc.read_voc`); for COCO and YOLO it must match the file's classes if given.
    """
    _check_format(fmt)
    if fmt == 'coco':
        data = read_coco(coco_ann_file(root, split), osp.join(root, split), checker)
    elif fmt == 'voc':
        data = read_voc(root, split, checker, classes)
    else:
        data = read_yolo(root, split, checker)
    if classes is not None and tuple(classes) != data.classes:
        raise ValueError(f'{fmt} data set {root} has the classes {list(data.classes)}, not the '
                         f'requested {list(classes)}')
    return data


def image_destination(root: str, fmt: str, split: str, file_name: str) -> str:
    """Where format ``fmt`` keeps the image ``file_name`` of ``split`` under ``root``."""
    _check_format(fmt)
    if fmt == 'coco':
        return coco_image_path(root, split, file_name)
    if fmt == 'voc':
        return voc_image_path(root, file_name)
    return yolo_image_path(root, split, file_name)


def write_split(data: DetectionSplit,
                root: str,
                fmt: str,
                split: str,
                checker: Optional[AnnotationChecker] = None,
                placed: Optional[Dict[str, str]] = None,
                progress: bool = False) -> Dict[str, int]:
    """Write one split in format ``fmt``: its annotation files and its images.

    Each image is hard-linked (or copied) from ``record.img_path`` unless it is already there.
    ``placed`` maps the images written so far (destination -> source) across the splits of
    one data set: VOC keeps every split's images in one folder, and two different images of
    the same name would overwrite each other. ``progress`` draws a bar over the images on
    stderr.

    Returns:
        Counts: ``images``, ``boxes``, ``rounded`` (VOC: boxes rounded to whole pixels) and
        ``dropped`` (YOLO: ignored boxes, which it cannot represent).
    """
    placed = {} if placed is None else placed
    for record in track(data.images, enabled=progress):
        dst = osp.abspath(image_destination(root, fmt, split, record.file_name))
        src = osp.abspath(record.img_path)
        if placed.get(dst, src) != src:
            raise ValueError(f'two different images map to {dst} in the {fmt} layout: '
                             f'{placed[dst]} and {src}; rename one of them')
        placed[dst] = src
        link_or_copy(src, dst)
    stats = dict(images=len(data.images), boxes=data.num_boxes, rounded=0, dropped=0)
    if fmt == 'coco':
        write_coco(data, coco_ann_file(root, split), description=f'{split} split')
    elif fmt == 'voc':
        stats['rounded'] = write_voc(data, root, split, checker)
    else:
        stats['dropped'] = write_yolo(data, root, split)
    return stats


def check_separate(src: str, dst: str) -> None:
    """Refuse a target that is, lies inside or holds the source: replacing it (``--force``)
    would delete the data set being converted.

    Raises:
        ValueError: naming both folders.
    """
    src_real, dst_real = osp.realpath(src), osp.realpath(dst)
    if src_real == dst_real:
        raise ValueError(f'the target {dst} is the source {src}; write to another folder')
    if dst_real.startswith(src_real + osp.sep):
        raise ValueError(f'the target {dst} lies inside the source {src}; write it elsewhere')
    if src_real.startswith(dst_real + osp.sep):
        raise ValueError(f'the source {src} lies inside the target {dst}, which replacing '
                         'would delete; write to another folder')


def convert_dataset(src: str,
                    dst: str,
                    src_format: str,
                    dst_format: str,
                    splits: Optional[Sequence[str]] = None,
                    on_error: str = 'raise',
                    classes: Optional[Sequence[str]] = None,
                    progress: bool = False) -> Dict[str, Dict[str, int]]:
    """Convert every split (or ``splits``) of the data set ``src`` into ``dst``.

    ``dst`` is written to ``<dst>.incomplete`` and renamed when complete (an existing ``dst``
    is replaced); a failure removes ``<dst>.incomplete``. ``dst`` must not be, lie in or
    hold ``src``. Images are hard-linked where possible, else copied.

    Args:
        src: The source data set root.
        dst: The target data set root.
        src_format: ``'coco'``, ``'voc'`` or ``'yolo'``.
        dst_format: ``'coco'``, ``'voc'`` or ``'yolo'``.
        splits: The splits to convert; default: all that ``src`` holds.
        on_error: ``'raise'`` at the first broken annotation, or ``'skip'`` it (logged and
            counted, see :class:`.annotations.AnnotationChecker`).
        classes: The class names in label order (needed only for VOC sources without
            ``classes.txt``; default: the sorted names found).
        progress: Draw a bar over each split's images on stderr.

    Returns:
        Per split: the counts of :func:`write_split` plus ``skipped``.

    Example:
        >>> convert_dataset(  # doctest: +SKIP
        ...     'data/shapes/coco', 'data/shapes_yolo', 'coco', 'yolo')
        {'train': {'images': 200, 'boxes': 604, 'rounded': 0, 'dropped': 0, 'skipped': 0}, ...}
    """
    _check_format(src_format)
    _check_format(dst_format)
    check_on_error(on_error)
    check_separate(src, dst)
    found = find_splits(src, src_format)
    if splits is None:
        splits = found
    missing = [s for s in splits if s not in found]
    if missing or not splits:
        raise FileNotFoundError(f'{src} holds no {src_format} split {missing or ""} '
                                f'(found: {found})')
    results = {}
    with atomic_output_dir(dst) as tmp:
        placed: Dict[str, str] = {}
        for split in splits:
            checker = AnnotationChecker(on_error, source=f'{src} ({split})')
            data = read_split(src, src_format, split, checker, classes)
            stats = write_split(data, tmp, dst_format, split, checker, placed, progress)
            stats['skipped'] = len(checker.skipped)
            checker.log_summary()
            results[split] = stats
    return results
