"""The format-neutral detection annotations that the COCO, VOC and YOLO readers and writers share.

Box convention: every box in this package is ``[x1, y1, x2, y2]`` in *continuous* pixel
coordinates, the convention of COCO and of mmdet's boxes: pixel column ``i`` covers
``[i, i + 1)``, so a box holding pixel columns 3 to 12 is ``x1=3, x2=13`` (COCO ``x=3, w=10``).
Each format's module converts to and from its own convention (VOC's 1-based integers, YOLO's
normalised centres) in one place.
"""
import logging
import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log

ON_ERROR_CHOICES = ('raise', 'skip')

# How far (in pixels) a box edge may lie outside its image before the box counts as broken.
# Within it the box is clipped to the image: annotation tools and 0-based/1-based mix-ups put
# edges at -1 or at width + 1, which is rounding, not a wrong box.
BOX_TOLERANCE = 1.0

# Skips logged one by one before the rest are only counted (a broken file can have thousands).
MAX_LOGGED_SKIPS = 20


class InvalidAnnotationError(ValueError):
    """An annotation that cannot be turned into a correct box (or a missing file it needs)."""


def check_on_error(on_error: str) -> str:
    """Return ``on_error`` if it is one of :data:`ON_ERROR_CHOICES`, else raise naming it."""
    if on_error not in ON_ERROR_CHOICES:
        raise ValueError(f'on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}')
    return on_error


class AnnotationChecker:
    """Reports broken annotations as an error or as a counted, logged skip (``on_error``).

    Readers call :meth:`skip` with *where* (file and line, or file and annotation id) and
    *what* is wrong. With ``on_error='raise'`` it raises :class:`InvalidAnnotationError`
    carrying both; with ``'skip'`` it logs a warning (the first :data:`MAX_LOGGED_SKIPS`
    one by one), records the message in :attr:`skipped`, and the reader drops the box or
    image. Never a silent drop and never a silently corrected box.

    Args:
        on_error: ``'raise'`` or ``'skip'``.
        source: What is being read (a file or folder), used in :meth:`summary`.

    Example:
        >>> checker = AnnotationChecker('skip', source='labels/')
        >>> checker.skip('labels/a.txt, line 3', 'class id 7 is out of range (0..2)')
        >>> checker.skipped
        ['labels/a.txt, line 3: class id 7 is out of range (0..2)']
    """

    def __init__(self, on_error: str = 'raise', source: str = '') -> None:
        self.on_error = check_on_error(on_error)
        self.source = source
        self.skipped: List[str] = []

    def skip(self, where: str, what: Union[str, Exception]) -> None:
        """Raise, or log and count, the problem ``what`` found at ``where``."""
        message = f'{where}: {what}'
        if self.on_error == 'raise':
            raise InvalidAnnotationError(f'{message} (on_error="skip" drops it instead)')
        self.skipped.append(message)
        if len(self.skipped) <= MAX_LOGGED_SKIPS:
            print_log(f'skipped: {message}', logger='current', level=logging.WARNING)
        elif len(self.skipped) == MAX_LOGGED_SKIPS + 1:
            print_log(
                f'more than {MAX_LOGGED_SKIPS} annotations skipped in {self.source}; '
                'the rest are only counted',
                logger='current',
                level=logging.WARNING)

    def summary(self) -> Optional[str]:
        """One line counting the skips, or ``None`` when nothing was skipped."""
        if not self.skipped:
            return None
        return (f'{len(self.skipped)} broken annotations or images skipped in {self.source} '
                f'(on_error="skip"); the first: {self.skipped[0]}')

    def log_summary(self) -> None:
        summary = self.summary()
        if summary is not None:
            print_log(summary, logger='current', level=logging.WARNING)


def checked_box(x1: float, y1: float, x2: float, y2: float, width: int,
                height: int) -> Tuple[float, float, float, float]:
    """The box ``[x1, y1, x2, y2]`` clipped to a ``width`` x ``height`` image, if it is valid.

    Raises:
        InvalidAnnotationError: if a coordinate is not finite, the box has negative or zero
            width or height, or an edge lies more than :data:`BOX_TOLERANCE` pixels outside
            the image.

    Example:
        >>> checked_box(-0.5, 2, 30, 20.4, width=30, height=20)
        (0.0, 2.0, 30.0, 20.0)
    """
    coords = (x1, y1, x2, y2)
    if not all(math.isfinite(v) for v in coords):
        raise InvalidAnnotationError(f'box {list(coords)} has a non-finite coordinate')
    if x2 <= x1 or y2 <= y1:
        raise InvalidAnnotationError(
            f'box [x1, y1, x2, y2] = {_fmt(coords)} has negative or zero size '
            f'(width {x2 - x1:g}, height {y2 - y1:g})')
    tol = BOX_TOLERANCE
    if x1 < -tol or y1 < -tol or x2 > width + tol or y2 > height + tol \
            or x1 >= width or y1 >= height or x2 <= 0 or y2 <= 0:
        raise InvalidAnnotationError(
            f'box [x1, y1, x2, y2] = {_fmt(coords)} lies outside the {width}x{height} image '
            f'(by more than {tol:g} px)')
    return (float(max(x1, 0)), float(max(y1, 0)), float(min(x2, width)), float(min(y2, height)))


def _fmt(coords: Sequence[float]) -> str:
    return '[' + ', '.join(f'{v:g}' for v in coords) + ']'


def _empty_boxes() -> np.ndarray:
    return np.zeros((0, 4), dtype=np.float64)


@dataclass
class ImageRecord:
    """One image and its boxes, independent of the file format they came from.

    Attributes:
        file_name: The image's path relative to its split's image folder, ``/``-separated
            (COCO's ``file_name``).
        width: The image width in pixels.
        height: The image height in pixels.
        bboxes: ``(N, 4)`` float64 ``[x1, y1, x2, y2]`` in continuous pixel coordinates.
        labels: ``(N,)`` int64 class indices into the split's ``classes``.
        ignore_flags: ``(N,)`` bool: COCO ``iscrowd`` / VOC ``difficult`` (mmdet's
            ``ignore_flag``). YOLO has no such field.
        img_path: Where the image file is now (used to copy it when converting).
    """
    file_name: str
    width: int
    height: int
    bboxes: np.ndarray = field(default_factory=_empty_boxes)
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0, ), dtype=np.int64))
    ignore_flags: np.ndarray = field(default_factory=lambda: np.zeros((0, ), dtype=bool))
    img_path: str = ''

    def __post_init__(self) -> None:
        self.bboxes = np.asarray(self.bboxes, dtype=np.float64).reshape(-1, 4)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if len(self.ignore_flags) == 0 and len(self.labels):
            self.ignore_flags = np.zeros(len(self.labels), dtype=bool)
        self.ignore_flags = np.asarray(self.ignore_flags, dtype=bool).reshape(-1)
        if not len(self.bboxes) == len(self.labels) == len(self.ignore_flags):
            raise ValueError(f'{self.file_name}: {len(self.bboxes)} boxes, {len(self.labels)} '
                             f'labels and {len(self.ignore_flags)} ignore flags differ in number')


@dataclass
class DetectionSplit:
    """The images of one split (``train``, ``val``, ...) and the class names they index."""
    classes: Tuple[str, ...]
    images: List[ImageRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.classes = tuple(self.classes)
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f'duplicate class names: {list(self.classes)}')

    @property
    def num_boxes(self) -> int:
        return sum(len(image.labels) for image in self.images)
