"""Lens distortion as data transforms: the study text's pinhole camera applied to images, boxes
and masks, in classification pipelines (``img``) and in mmdet's detection pipelines.

The lens model and its arithmetic are OpenCV's (:mod:`zoo.datasets.transforms.camera`); these
transforms render images with ``cv2.remap`` and move annotations through the same model:

* ``gt_bboxes``: points along each box's border go through the lens and the enclosing box is
  kept, clipped to the image; boxes narrower or shorter than ``min_bbox_size`` after clipping
  are dropped together with their ``gt_bboxes_labels``, ``gt_ignore_flags`` and ``gt_masks``
  rows (mmdet's convention, as in its ``RandomCrop``). Either an ``(N, 4)`` array or mmdet's
  ``HorizontalBoxes`` (the result keeps the type).
* ``gt_masks``: mmdet's ``BitmapMasks`` go through the same remap (nearest), ``PolygonMasks``
  have their vertices moved. ``gt_seg_map`` is remapped with nearest interpolation.

No mmdet import here: mmdet's box and mask types are handled through their public methods, so
the classification path stays free of mmdet.
"""
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from zoo.registry import TRANSFORMS
from .camera import LensModel, check_camera_matrix, check_dist_coeffs, default_camera_matrix

_INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'lanczos': cv2.INTER_LANCZOS4,
}
# Points sampled along each edge of a box: the enclosing box of a distorted edge is reached at
# its ends or its bulge, which 16 points a side locate to well under a pixel for boxes of
# ordinary size.
_POINTS_PER_EDGE = 16


def _border_points(boxes: np.ndarray, per_edge: int = _POINTS_PER_EDGE) -> np.ndarray:
    """``(N, 4 * per_edge, 2)`` points along the border of each ``x1, y1, x2, y2`` box."""
    t = np.linspace(0., 1., per_edge)
    x1, y1, x2, y2 = (boxes[:, i, None] for i in range(4))
    ones = np.ones_like(t)
    xs = np.concatenate([x1 + (x2 - x1) * t, x2 * ones, x2 + (x1 - x2) * t, x1 * ones], axis=1)
    ys = np.concatenate([y1 * ones, y1 + (y2 - y1) * t, y2 * ones, y2 + (y1 - y2) * t], axis=1)
    return np.stack([xs, ys], axis=-1)


class _LensTransform(BaseTransform):
    """Renders the image and moves the annotations through a lens, in one direction.

    Subclasses give the lens for each sample (:meth:`lens_for`) and whether they add the
    distortion (``distort=True``) or remove it.
    """

    distort = True

    def __init__(self,
                 interpolation: str = 'bilinear',
                 border_value: float = 0,
                 min_bbox_size: float = 1.0) -> None:
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'{type(self).__name__}: interpolation must be one of '
                             f'{sorted(_INTERPOLATIONS)}, got {interpolation!r}')
        if min_bbox_size < 0:
            raise ValueError(f'{type(self).__name__}: min_bbox_size must be >= 0, '
                             f'got {min_bbox_size}')
        self.interpolation = interpolation
        self.border_value = border_value
        self.min_bbox_size = float(min_bbox_size)
        self._maps_cache: Dict[tuple, Tuple[np.ndarray, np.ndarray]] = {}

    def lens_for(self, height: int, width: int) -> Optional[LensModel]:
        raise NotImplementedError

    def _maps(self, lens: LensModel, height: int, width: int,
              cacheable: bool) -> Tuple[np.ndarray, np.ndarray]:
        key = (height, width)
        if cacheable and key in self._maps_cache:
            return self._maps_cache[key]
        maps = (
            lens.distortion_maps(height, width) if self.distort else lens.undistortion_maps(
                height, width))
        if cacheable:
            self._maps_cache[key] = maps
        return maps

    def _move_points(self, lens: LensModel, points: np.ndarray) -> np.ndarray:
        """Move box and polygon coordinates, in which pixel ``i`` spans ``[i, i + 1]`` (mmdet's
        and COCO's convention), through the lens, whose pixel ``i`` is centred at ``i``."""
        points = points - 0.5
        moved = lens.distort_points(points) if self.distort else lens.undistort_points(points)
        return moved + 0.5

    def _cacheable(self) -> bool:
        """Whether the lens is the same for every image of one size (the maps can be kept)."""
        return True

    def transform(self, results: dict) -> Optional[dict]:
        img = results['img']
        height, width = img.shape[:2]
        lens = self.lens_for(height, width)
        if lens is None:
            return results
        map_x, map_y = self._maps(lens, height, width, self._cacheable())
        results['img'] = self._remap(img, map_x, map_y, _INTERPOLATIONS[self.interpolation],
                                     self.border_value)
        if results.get('gt_seg_map', None) is not None:
            results['gt_seg_map'] = self._remap(results['gt_seg_map'], map_x, map_y,
                                                cv2.INTER_NEAREST, 255)
        if results.get('gt_masks', None) is not None:
            results['gt_masks'] = self._move_masks(results['gt_masks'], lens, map_x, map_y)
        if results.get('gt_bboxes', None) is not None:
            self._move_boxes(results, lens, height, width)
        return results

    @staticmethod
    def _remap(img: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, interpolation: int,
               border_value: float) -> np.ndarray:
        source = img.view(np.uint8) if img.dtype == bool else img  # remap takes no bool
        out = cv2.remap(
            source,
            map_x,
            map_y,
            interpolation,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=border_value)
        out = out.reshape(out.shape[:2] + img.shape[2:])  # remap drops a trailing 1-channel
        return out.view(bool) if img.dtype == bool else out

    def _move_masks(self, masks, lens: LensModel, map_x: np.ndarray, map_y: np.ndarray):
        height, width = map_x.shape
        kind = type(masks).__name__
        if kind == 'BitmapMasks':
            moved = [self._remap(m, map_x, map_y, cv2.INTER_NEAREST, 0) for m in masks.masks]
            array = (np.stack(moved) if moved else np.zeros((0, height, width), np.uint8))
            return type(masks)(array, height, width)
        if kind == 'PolygonMasks':
            polygons = [[
                self._move_points(lens,
                                  np.asarray(p, np.float64).reshape(-1, 2)).reshape(-1)
                for p in instance
            ] for instance in masks.masks]
            return type(masks)(polygons, height, width)
        raise TypeError(f'{type(self).__name__}: gt_masks of type {kind} are not supported '
                        '(BitmapMasks or PolygonMasks)')

    def _move_boxes(self, results: dict, lens: LensModel, height: int, width: int) -> None:
        boxes = results['gt_bboxes']
        is_box_type = hasattr(boxes, 'tensor')  # mmdet's BaseBoxes
        array = boxes.numpy() if is_box_type else np.asarray(boxes)
        if array.ndim != 2 or array.shape[1] != 4:
            raise ValueError(f'{type(self).__name__}: gt_bboxes must be (N, 4) x1, y1, x2, y2 '
                             f'boxes, got shape {array.shape}')
        if len(array):
            points = self._move_points(lens,
                                       _border_points(array.astype(np.float64)).reshape(
                                           -1, 2)).reshape(len(array), -1, 2)
            moved = np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)
            moved[:, 0::2] = moved[:, 0::2].clip(0, width)
            moved[:, 1::2] = moved[:, 1::2].clip(0, height)
        else:
            moved = array.astype(np.float64).reshape(0, 4)
        keep = ((moved[:, 2] - moved[:, 0] >= self.min_bbox_size)
                & (moved[:, 3] - moved[:, 1] >= self.min_bbox_size)
                & np.all(np.isfinite(moved), axis=1))
        moved = moved[keep].astype(array.dtype)
        results['gt_bboxes'] = type(boxes)(moved) if is_box_type else moved
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if results.get(key, None) is not None:
                results[key] = results[key][keep]
        if results.get('gt_masks', None) is not None:
            results['gt_masks'] = results['gt_masks'][np.flatnonzero(keep)]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(interpolation={self.interpolation!r}, '
                f'border_value={self.border_value}, min_bbox_size={self.min_bbox_size})')


@TRANSFORMS.register_module()
class LensDistortion(_LensTransform):
    """Distort the image as a lens with OpenCV's coefficients would (deterministic).

    Each output pixel samples the input where the lens brings it from
    (``cv2.undistortPoints`` of the pixel grid, then ``cv2.remap``); boxes and masks move with
    ``cv2.projectPoints``. ``k1 < 0`` gives barrel distortion (black corners appear: the
    image shrinks towards the centre), ``k1 > 0`` pincushion.

    Required keys: ``img``. Modified keys: ``img`` and, where present, ``gt_bboxes``,
    ``gt_bboxes_labels``, ``gt_ignore_flags``, ``gt_masks``, ``gt_seg_map``.

    Args:
        dist_coeffs: ``(k1, k2, p1, p2, k3)`` in OpenCV's order (4 values: ``k3 = 0``).
        camera_matrix: The 3x3 intrinsics ``K``; ``None`` uses ``fx = fy = max(H, W)`` and the
            centre of each image.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'`` or ``'lanczos'``.
        border_value: The value of pixels that sample outside the input.
        min_bbox_size: Boxes narrower or shorter than this (pixels) after clipping are dropped.

    Example:
        >>> import numpy as np
        >>> t = LensDistortion(dist_coeffs=(-0.3, 0., 0., 0., 0.))
        >>> out = t(dict(img=np.full((48, 64, 3), 200, np.uint8),
        ...              gt_bboxes=np.array([[2., 2., 20., 20.]], np.float32)))
        >>> out['img'][0, 0].tolist(), out['img'][24, 32].tolist()  # a black corner, a kept centre
        ([0, 0, 0], [200, 200, 200])
        >>> bool(out['gt_bboxes'][0, 0] > 2)  # the box moved towards the centre
        True
    """

    def __init__(self,
                 dist_coeffs: Sequence[float],
                 camera_matrix: Optional[Sequence] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.dist_coeffs = check_dist_coeffs(dist_coeffs)
        self.camera_matrix = None if camera_matrix is None else check_camera_matrix(camera_matrix)

    def lens_for(self, height: int, width: int) -> LensModel:
        matrix = (
            default_camera_matrix(height, width)
            if self.camera_matrix is None else self.camera_matrix)
        return LensModel(self.dist_coeffs, matrix)

    def __repr__(self) -> str:
        return (
            super().__repr__()[:-1] + f', dist_coeffs={self.dist_coeffs.tolist()}, '
            f'camera_matrix={None if self.camera_matrix is None else self.camera_matrix.tolist()})')


@TRANSFORMS.register_module()
class LensUndistort(LensDistortion):
    """Correct an image taken through a calibrated lens (``cv2.initUndistortRectifyMap`` and
    ``cv2.remap``), with boxes and masks moved by ``cv2.undistortPoints``.

    Give it what ``cv2.calibrateCamera`` returns: ``LensUndistort(dist_coeffs=dist.ravel(),
    camera_matrix=K)``. The output keeps the camera matrix, so pixels that the lens did not see
    (outside its image) come out as ``border_value``.

    Args: as :class:`LensDistortion`.
    """

    distort = False


@TRANSFORMS.register_module()
class RandomLensDistortion(_LensTransform):
    """Distort with coefficients drawn uniformly from ranges, with probability ``prob``.

    The default ``k1`` range is symmetric, so barrel (``k1 < 0``) and pincushion (``k1 > 0``)
    distortion are both drawn. The draws use numpy's global generator (mmcv's convention), so
    ``np.random.seed`` reproduces them.

    Args:
        k1, k2, k3: ``(low, high)`` ranges of the radial coefficients.
        p1, p2: ``(low, high)`` ranges of the tangential coefficients.
        prob: The probability of distorting an image.
        camera_matrix: As :class:`LensDistortion`.
        crop_to_valid: Zoom the distorted image about its principal point just enough that no
            black border remains (barrel distortion otherwise leaves black corners).
        **kwargs: ``interpolation``, ``border_value``, ``min_bbox_size`` as
            :class:`LensDistortion`.
    """

    def __init__(self,
                 k1: Tuple[float, float] = (-0.3, 0.3),
                 k2: Tuple[float, float] = (0., 0.),
                 k3: Tuple[float, float] = (0., 0.),
                 p1: Tuple[float, float] = (0., 0.),
                 p2: Tuple[float, float] = (0., 0.),
                 prob: float = 0.5,
                 camera_matrix: Optional[Sequence] = None,
                 crop_to_valid: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        ranges = dict(k1=k1, k2=k2, p1=p1, p2=p2, k3=k3)  # OpenCV's order
        for name, value in ranges.items():
            if not (isinstance(value, Sequence) and len(value) == 2 and value[0] <= value[1]):
                raise ValueError(f'RandomLensDistortion: {name} must be a range (low, high) with '
                                 f'low <= high, got {value!r}')
        if not 0. <= prob <= 1.:
            raise ValueError(f'RandomLensDistortion: prob must be in [0, 1], got {prob}')
        self.ranges = {name: (float(lo), float(hi)) for name, (lo, hi) in ranges.items()}
        self.prob = prob
        self.camera_matrix = None if camera_matrix is None else check_camera_matrix(camera_matrix)
        self.crop_to_valid = crop_to_valid

    @cache_randomness
    def _draw(self) -> Optional[np.ndarray]:
        if np.random.rand() >= self.prob:
            return None
        return np.array([np.random.uniform(lo, hi) for lo, hi in self.ranges.values()])

    def _cacheable(self) -> bool:
        return False

    def lens_for(self, height: int, width: int) -> Optional[LensModel]:
        coeffs = self._draw()
        if coeffs is None:
            return None
        matrix = (
            default_camera_matrix(height, width)
            if self.camera_matrix is None else self.camera_matrix)
        lens = LensModel(coeffs, matrix)
        return lens.zoomed_to_valid(height, width) if self.crop_to_valid else lens

    def __repr__(self) -> str:
        ranges = ', '.join(f'{k}={v}' for k, v in self.ranges.items())
        return (super().__repr__()[:-1] + f', {ranges}, prob={self.prob}, '
                f'crop_to_valid={self.crop_to_valid})')
