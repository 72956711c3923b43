"""A synthetic detection data set: coloured shapes on textured backgrounds, with exact boxes.

Every image holds 1-5 (configurable) rectangles, ellipses and triangles of random size,
position and colour on a random background texture (noise, a linear gradient or stripes).
Shapes never touch one another (so none hides part of another) and their boxes overlap
little (IoU at most ``max_iou``); each box is the tight box of the shape's drawn pixels.
Colours are random for every class, so the class is told by the shape alone.

Generation is deterministic: image ``i`` of a split depends only on ``(seed, split, i)``, so the
first images of a larger set are those of a smaller one with the same seed.

:func:`make_shapes_dataset` writes one set in all three formats at once (COCO, VOC, YOLO: see
:mod:`zoo.det.formats`), each image stored once and hard-linked into the other two
layouts where the file system allows::

    <out>/coco/annotations/instances_{train,val}.json   <out>/coco/{train,val}/*.jpg
    <out>/voc/Annotations/*.xml  <out>/voc/JPEGImages/*.jpg  <out>/voc/ImageSets/Main/*.txt
    <out>/yolo/classes.txt  <out>/yolo/{train,val}.txt  <out>/yolo/{images,labels}/{train,val}/
    <out>/manifest.json                                  the parameters and the file list

Images are JPEG (quality 95), the format mmdet's ``VOCDataset`` requires.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from zoo.utils.progress import track
from ..formats import DetectionSplit, ImageRecord, atomic_output_dir, list_files, write_split

SHAPE_CLASSES = ('rectangle', 'ellipse', 'triangle')
BACKGROUNDS = ('noise', 'gradient', 'stripes')
SPLITS = ('train', 'val')
JPEG_QUALITY = 95
MANIFEST = 'manifest.json'
# Bump when the drawing changes: a set written by another version is then not "complete".
GENERATOR_VERSION = 1

_MAX_ATTEMPTS = 60  # placements tried per shape before giving up on it
_MIN_CONTRAST = 90.0  # RGB distance between a shape's colour and the background it covers


@dataclass
class ShapesSample:
    """One generated image and its objects.

    Attributes:
        image: ``(H, W, 3)`` uint8, BGR (OpenCV's and mmcv's channel order).
        bboxes: ``(N, 4)`` float64 ``[x1, y1, x2, y2]``, continuous pixel coordinates: the
            tight box of each shape's pixels (whole numbers).
        labels: ``(N,)`` int64 indices into :data:`SHAPE_CLASSES`.
        masks: ``(N, H, W)`` bool, the pixels of each shape.
    """
    image: np.ndarray
    bboxes: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


def _as_size(img_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``(width, height)`` from an int or a ``(width, height)`` pair."""
    if isinstance(img_size, int):
        img_size = (img_size, img_size)
    width, height = (int(v) for v in img_size)
    if width < 16 or height < 16:
        raise ValueError(f'img_size must be at least 16x16, got {width}x{height}')
    return width, height


def _normal(rng: np.random.Generator, shape: Tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32)


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A textured background: noise, a linear gradient or stripes (float32, 0..255)."""
    kind = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == 'noise':
        base = rng.uniform(40, 215, size=3)
        img = base + rng.uniform(8, 30) * _normal(rng, (height, width, 3))
        img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), rng.uniform(0.5, 2.0))
    else:
        angle = rng.uniform(0, np.pi)
        t = xx * np.cos(angle) + yy * np.sin(angle)
        if kind == 'gradient':
            t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        else:
            period = rng.uniform(6, max(8.0, min(height, width) / 4))
            t = 0.5 + 0.5 * np.sin(2 * np.pi * t / period)
            if rng.random() < 0.5:
                t = (t > 0.5).astype(np.float32)
        c0, c1 = rng.uniform(30, 225, size=(2, 3))
        img = c0 + (c1 - c0) * t[..., None]
        img = img + 4 * _normal(rng, img.shape)
    return img.astype(np.float32)


def _shape_mask(rng: np.random.Generator, label: int, height: int, width: int,
                size_range: Tuple[float, float]) -> np.ndarray:
    """The pixels of one randomly sized and placed shape of class ``label``."""
    short = min(height, width)
    box_w = int(round(rng.uniform(*size_range) * short))
    box_h = int(round(box_w * np.exp(rng.uniform(-0.5, 0.5))))
    box_w, box_h = max(box_w, 4), int(np.clip(box_h, 4, height - 2))
    box_w = min(box_w, width - 2)
    x0 = int(rng.integers(0, width - box_w + 1))
    y0 = int(rng.integers(0, height - box_h + 1))
    mask = np.zeros((height, width), dtype=np.uint8)
    name = SHAPE_CLASSES[label]
    if name == 'rectangle':
        cv2.rectangle(mask, (x0, y0), (x0 + box_w - 1, y0 + box_h - 1), 1, thickness=-1)
    elif name == 'ellipse':
        center = (x0 + box_w // 2, y0 + box_h // 2)
        axes = (max(box_w // 2, 2), max(box_h // 2, 2))
        cv2.ellipse(mask, center, axes, float(rng.uniform(0, 180)), 0, 360, 1, thickness=-1)
    else:
        apex = rng.uniform(-0.8, 0.8)
        points = np.array([[apex, -1.0], [-1.0, 1.0], [1.0, 1.0]])
        angle = rng.uniform(0, 2 * np.pi)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        points = points @ rotation.T * (box_w / 2, box_h / 2) + (x0 + box_w / 2, y0 + box_h / 2)
        cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def _colour(rng: np.random.Generator, covered: np.ndarray) -> np.ndarray:
    """A saturated BGR colour far (in RGB distance) from the mean of the ``covered`` pixels."""
    best, best_distance = None, -1.0
    mean = covered.reshape(-1, 3).mean(axis=0)
    for _ in range(20):
        hsv = np.array([[[rng.integers(0, 180),
                          rng.integers(130, 256),
                          rng.integers(110, 256)]]],
                       dtype=np.uint8)
        colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
        distance = float(np.linalg.norm(colour - mean))
        if distance > best_distance:
            best, best_distance = colour, distance
        if distance >= _MIN_CONTRAST:
            break
    return best


def _box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    if not len(boxes):
        return np.zeros(0)
    lt = np.maximum(box[:2], boxes[:, :2])
    rb = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (area + areas - inter)


def _check_draw_args(num_objects: Sequence[int], size_range: Sequence[float],
                     max_iou: float) -> None:
    if len(num_objects) != 2 or not 1 <= num_objects[0] <= num_objects[1]:
        raise ValueError(f'num_objects must be (least, most) with 1 <= least <= most, '
                         f'got {num_objects}')
    if len(size_range) != 2 or not 0 < size_range[0] <= size_range[1] < 1:
        raise ValueError(f'size_range must be fractions 0 < low <= high < 1, got {size_range}')
    if not 0 <= max_iou <= 1:
        raise ValueError(f'max_iou must be in [0, 1], got {max_iou}')


def draw_shapes_sample(rng: np.random.Generator,
                       width: int = 256,
                       height: int = 256,
                       num_objects: Tuple[int, int] = (1, 5),
                       size_range: Tuple[float, float] = (0.12, 0.45),
                       max_iou: float = 0.3) -> ShapesSample:
    """Draw one image with ``num_objects[0]..num_objects[1]`` shapes.

    Args:
        rng: The random generator (the only source of randomness).
        width: The image width.
        height: The image height.
        num_objects: The least and most shapes an image holds (inclusive).
        size_range: The shapes' box width as fractions of the shorter image side.
        max_iou: The largest IoU a shape's box may have with another's.

    Returns:
        The image, the tight boxes, the labels and the masks (see :class:`ShapesSample`).

    Example:
        >>> sample = draw_shapes_sample(np.random.default_rng(0), 96, 64)
        >>> sample.image.shape, sample.bboxes.shape[1], sample.masks.shape[1:]
        ((64, 96, 3), 4, (64, 96))
    """
    _check_draw_args(num_objects, size_range, max_iou)
    low, high = num_objects
    image = _background(rng, height, width)
    wanted = int(rng.integers(low, high + 1))
    occupied = np.zeros((height, width), dtype=bool)
    boxes: List[np.ndarray] = []
    labels: List[int] = []
    masks: List[np.ndarray] = []
    for _ in range(wanted):
        label = int(rng.integers(len(SHAPE_CLASSES)))
        for _ in range(_MAX_ATTEMPTS):
            mask = _shape_mask(rng, label, height, width, size_range)
            ys, xs = np.nonzero(mask)
            if len(xs) < 16:
                continue
            box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)
            # A one-pixel gap keeps shapes from touching, so every box stays tight on what
            # is visible; the IoU bound keeps the boxes themselves apart enough to learn.
            grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            if (grown & occupied).any() or (_box_iou(box, np.array(boxes)) > max_iou).any():
                continue
            colour = _colour(rng, image[mask])
            noise = rng.normal(0, 5, size=(len(xs), 3))
            image[mask] = colour + noise
            occupied |= mask
            boxes.append(box)
            labels.append(label)
            masks.append(mask)
            break
    if len(boxes) < low:
        raise ValueError(f'could place only {len(boxes)} of at least {low} shapes on a '
                         f'{width}x{height} image: use a larger image or a smaller size_range')
    return ShapesSample(
        image=np.clip(np.round(image), 0, 255).astype(np.uint8),
        bboxes=np.array(boxes, dtype=np.float64).reshape(-1, 4),
        labels=np.array(labels, dtype=np.int64),
        masks=np.array(masks, dtype=bool).reshape(-1, height, width))


def image_name(split: str, index: int) -> str:
    """The file stem of image ``index`` of ``split`` (unique across splits, as VOC needs)."""
    return f'{split}_{index:06d}'


def generate_shapes(split: str,
                    num_images: int,
                    img_size: Union[int, Sequence[int]] = 256,
                    seed: int = 0,
                    **kwargs) -> Iterator[Tuple[str, ShapesSample]]:
    """Yield ``(name, sample)`` for the images of one split.

    Image ``i`` is drawn from ``np.random.default_rng([seed, split_index, i])``: it depends on
    nothing else, so it is the same in a set of any size.

    Args:
        split: ``'train'`` or ``'val'``.
        num_images: How many images.
        img_size: ``(width, height)`` or one int for square images.
        seed: The seed of the whole set.
        **kwargs: Passed to :func:`draw_shapes_sample` (``num_objects``, ``size_range``,
            ``max_iou``).
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    width, height = _as_size(img_size)
    for index in range(num_images):
        rng = np.random.default_rng([int(seed), SPLITS.index(split), index])
        yield image_name(split, index), draw_shapes_sample(rng, width, height, **kwargs)


def _parameters(num_train: int, num_val: int, img_size, seed: int, num_objects, size_range,
                max_iou: float) -> dict:
    width, height = _as_size(img_size)
    _check_draw_args(num_objects, size_range, max_iou)
    for name, value in (('num_train', num_train), ('num_val', num_val)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f'{name} must be an int >= 0, got {value!r}')
    if num_train + num_val == 0:
        raise ValueError('num_train + num_val must be at least 1')
    return dict(
        generator_version=GENERATOR_VERSION,
        num_train=num_train,
        num_val=num_val,
        width=width,
        height=height,
        seed=int(seed),
        num_objects=list(num_objects),
        size_range=[float(v) for v in size_range],
        max_iou=float(max_iou),
        classes=list(SHAPE_CLASSES))


def read_manifest(out: str) -> Optional[dict]:
    """The manifest of a complete shapes set at ``out``, or ``None`` if it is not one."""
    path = osp.join(out, MANIFEST)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f)
    if list_files(out) != sorted(manifest.get('files', []) + [MANIFEST]):
        return None
    return manifest


def make_shapes_dataset(out: str,
                        num_train: int = 200,
                        num_val: int = 50,
                        img_size: Union[int, Sequence[int]] = 256,
                        seed: int = 0,
                        num_objects: Tuple[int, int] = (1, 5),
                        size_range: Tuple[float, float] = (0.12, 0.45),
                        max_iou: float = 0.3,
                        force: bool = False,
                        progress: bool = False) -> Dict[str, object]:
    """Write the shapes data set in COCO, VOC and YOLO form under ``out`` (idempotent).

    The set is written to ``<out>.incomplete`` and renamed to ``out`` when complete. If
    ``out`` already holds the complete set made with the same parameters, nothing is done.

    Args:
        out: The folder to write (its ``coco``, ``voc`` and ``yolo`` sub-folders).
        num_train: Images in the train split.
        num_val: Images in the val split.
        img_size: ``(width, height)`` or one int for square images.
        seed: The seed: the same parameters give the same files, byte for byte.
        num_objects: The least and most shapes an image holds.
        size_range: The shapes' box width as fractions of the shorter image side.
        max_iou: The largest IoU between two boxes of an image.
        force: Rewrite ``out`` even if it exists (whatever it holds).
        progress: Draw a bar over each split's images on stderr.

    Returns:
        ``dict(status='written' | 'unchanged', out=..., splits={split: dict(images, boxes)})``.

    Raises:
        FileExistsError: if ``out`` exists but is not this complete set and ``force`` is off.

    Example:
        >>> make_shapes_dataset(  # doctest: +SKIP
        ...     'data/shapes', num_train=16, num_val=8, img_size=96)
        {'status': 'written', 'out': 'data/shapes', 'splits': {'train': {...}, 'val': {...}}}
    """
    params = _parameters(num_train, num_val, img_size, seed, num_objects, size_range, max_iou)
    out = osp.normpath(out)
    if osp.exists(out) and not force:
        manifest = read_manifest(out) if osp.isdir(out) else None
        if manifest is not None and manifest['parameters'] == params:
            return dict(status='unchanged', out=out, splits=manifest['splits'])
        raise FileExistsError(f'{out} exists but is not the complete shapes data set with these '
                              'parameters; remove it, choose another folder or use force=True '
                              '(--force)')

    width, height = params['width'], params['height']
    draw_kwargs = dict(
        num_objects=tuple(num_objects), size_range=tuple(size_range), max_iou=max_iou)
    counts = {}
    with atomic_output_dir(out) as tmp:
        placed: Dict[str, str] = {}
        for split, num_images in (('train', num_train), ('val', num_val)):
            if num_images == 0:
                continue
            data = DetectionSplit(classes=SHAPE_CLASSES)
            img_dir = osp.join(tmp, 'coco', split)
            os.makedirs(img_dir, exist_ok=True)
            samples = generate_shapes(split, num_images, (width, height), seed, **draw_kwargs)
            for name, sample in track(samples, num_images, enabled=progress):
                img_path = osp.join(img_dir, f'{name}.jpg')
                if not cv2.imwrite(img_path, sample.image,
                                   [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
                    raise OSError(f'could not write {img_path}')
                data.images.append(
                    ImageRecord(
                        file_name=f'{name}.jpg',
                        width=width,
                        height=height,
                        bboxes=sample.bboxes,
                        labels=sample.labels,
                        img_path=img_path))
            for fmt in ('coco', 'voc', 'yolo'):
                write_split(data, osp.join(tmp, fmt), fmt, split, placed=placed)
            counts[split] = dict(images=len(data.images), boxes=data.num_boxes)
        manifest = dict(parameters=params, splits=counts, files=list_files(tmp))
        with open(osp.join(tmp, MANIFEST), 'w', encoding='utf-8') as f:
            json.dump(manifest, f, indent=1)
    return dict(status='written', out=out, splits=counts)
