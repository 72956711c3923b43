"""The pinhole camera with lens distortion, as OpenCV models it.

A point ``(X, Y, Z)`` in the camera frame projects to normalised coordinates ``x = X / Z``,
``y = Y / Z``; the lens moves them to (with ``r^2 = x^2 + y^2``)::

    x_d = x (1 + k1 r^2 + k2 r^4 + k3 r^6) + 2 p1 x y + p2 (r^2 + 2 x^2)
    y_d = y (1 + k1 r^2 + k2 r^4 + k3 r^6) + p1 (r^2 + 2 y^2) + 2 p2 x y

and the intrinsics ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` map them to pixels:
``u = fx x_d + cx``, ``v = fy y_d + cy``. ``k1 < 0`` is barrel distortion, ``k1 > 0`` pincushion.

OpenCV does the arithmetic: ``cv2.projectPoints`` sends ideal points through the lens, and
``cv2.undistortPoints`` inverts it iteratively (here with enough iterations to converge for
strong distortion). :class:`LensModel` adds only the bookkeeping of which camera matrix the
ideal image and the distorted image use, so that an output can also be zoomed
(:meth:`LensModel.zoomed_to_valid`).
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

# (k1, k2, p1, p2, k3): OpenCV's order.
NUM_COEFFS = 5
# cv2.undistortPoints' default (5 iterations, no tolerance) leaves pixels of error near the
# corners of a strongly distorted image; 50 iterations to 1e-8 converge where the model is
# invertible.
_UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-8)


def default_camera_matrix(height: int, width: int) -> np.ndarray:
    """``fx = fy = max(H, W)``, principal point at the image centre (pixel centres at integers)."""
    f = float(max(height, width))
    return np.array([[f, 0., (width - 1) / 2.], [0., f, (height - 1) / 2.], [0., 0., 1.]])


def check_camera_matrix(camera_matrix, name: str = 'camera_matrix') -> np.ndarray:
    """A 3x3 intrinsics matrix ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` with positive focal
    lengths, as float64."""
    matrix = np.asarray(camera_matrix, dtype=np.float64)
    if matrix.shape != (3, 3):
        raise ValueError(f'{name} must be a 3x3 matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], '
                         f'got shape {matrix.shape}')
    if not (matrix[0, 0] > 0 and matrix[1, 1] > 0 and np.allclose(matrix[2], (0, 0, 1))
            and matrix[1, 0] == 0 and matrix[0, 1] == 0):
        raise ValueError(f'{name} must be [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] with fx, fy > 0, '
                         f'got {matrix.tolist()}')
    return matrix


def check_dist_coeffs(dist_coeffs: Sequence[float]) -> np.ndarray:
    """OpenCV's ``(k1, k2, p1, p2, k3)`` as float64; 4 values mean ``k3 = 0``."""
    coeffs = np.asarray(dist_coeffs, dtype=np.float64).ravel()
    if coeffs.size == 4:
        coeffs = np.append(coeffs, 0.)
    if coeffs.size != NUM_COEFFS or not np.all(np.isfinite(coeffs)):
        raise ValueError('dist_coeffs must be OpenCV\'s (k1, k2, p1, p2, k3) (or the first four), '
                         f'finite numbers; got {list(np.ravel(dist_coeffs))}')
    return coeffs


class LensModel:
    """A lens between an ideal (undistorted) image and a distorted one.

    Args:
        dist_coeffs: OpenCV's ``(k1, k2, p1, p2, k3)``.
        ideal_matrix: The camera matrix of the ideal image.
        distorted_matrix: The camera matrix of the distorted image; ``None`` means the same as
            ``ideal_matrix``. A larger focal length here zooms the distorted image in.
    """

    def __init__(self,
                 dist_coeffs: Sequence[float],
                 ideal_matrix: np.ndarray,
                 distorted_matrix: Optional[np.ndarray] = None) -> None:
        self.dist_coeffs = check_dist_coeffs(dist_coeffs)
        self.ideal_matrix = check_camera_matrix(ideal_matrix)
        self.distorted_matrix = (
            self.ideal_matrix if distorted_matrix is None else check_camera_matrix(
                distorted_matrix, 'distorted_matrix'))

    def distort_points(self, points: np.ndarray) -> np.ndarray:
        """Pixel positions ``(N, 2)`` in the ideal image -> in the distorted image."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            return points.copy()
        inv = np.linalg.inv(self.ideal_matrix)
        normalised = points @ inv[:2, :2].T + inv[:2, 2]
        object_points = np.concatenate([normalised, np.ones((len(points), 1))], axis=1)
        projected, _ = cv2.projectPoints(object_points, np.zeros(3), np.zeros(3),
                                         self.distorted_matrix, self.dist_coeffs)
        return projected.reshape(-1, 2)

    def undistort_points(self, points: np.ndarray) -> np.ndarray:
        """Pixel positions ``(N, 2)`` in the distorted image -> in the ideal image."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        if len(points) == 0:
            return points.reshape(0, 2)
        ideal = cv2.undistortPoints(
            points,
            self.distorted_matrix,
            self.dist_coeffs,
            P=self.ideal_matrix,
            criteria=_UNDISTORT_CRITERIA)
        return ideal.reshape(-1, 2)

    def distortion_maps(self,
                        height: int,
                        width: int,
                        step: int = 8) -> Tuple[np.ndarray, np.ndarray]:
        """``cv2.remap`` maps that render the distorted image (``height x width``) from the ideal
        one: each distorted pixel samples the ideal image where the lens brings it from.

        ``cv2.undistortPoints`` is iterative and costs about 0.4 us a point, so it runs on a
        grid of one point per ``step x step`` block (plus a ring outside the image) and the
        smooth map is interpolated bilinearly by ``cv2.resize``: the grid sits at the block
        centres, where ``cv2.resize`` puts its source pixels. At ``step=8`` on 640x480 that
        differs from the dense map by under 0.07 px wherever it samples inside the image, for
        ``|k1| <= 0.35``, at a twentieth of the cost. ``step=1`` computes every pixel.
        """
        if step < 1:
            raise ValueError(f'step must be >= 1, got {step}')
        if step == 1:
            grid = np.stack(np.meshgrid(np.arange(width), np.arange(height)), axis=-1)
            source = self.undistort_points(grid.reshape(-1, 2)).reshape(height, width, 2)
            return source[..., 0].astype(np.float32), source[..., 1].astype(np.float32)
        cols, rows = -(-width // step) + 2, -(-height // step) + 2
        centres_x = (np.arange(cols) - 1) * step + (step - 1) / 2
        centres_y = (np.arange(rows) - 1) * step + (step - 1) / 2
        grid = np.stack(np.meshgrid(centres_x, centres_y), axis=-1)
        source = self.undistort_points(grid.reshape(-1, 2)).reshape(rows, cols, 2)
        dense = cv2.resize(
            source.astype(np.float32), (cols * step, rows * step),
            interpolation=cv2.INTER_LINEAR)[step:step + height, step:step + width]
        return dense[..., 0].copy(), dense[..., 1].copy()

    def undistortion_maps(self, height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
        """``cv2.remap`` maps that render the ideal image from the distorted one
        (``cv2.initUndistortRectifyMap``)."""
        return cv2.initUndistortRectifyMap(self.distorted_matrix, self.dist_coeffs, None,
                                           self.ideal_matrix, (width, height), cv2.CV_32FC1)

    def zoomed_to_valid(self, height: int, width: int, samples: int = 64) -> 'LensModel':
        """The same lens with the distorted image zoomed about its principal point just enough
        that every pixel of it samples inside the ideal image (no black border).

        A zoom ``z >= 1`` scales the distorted image's focal lengths by ``z``; the smallest
        valid ``z`` is found by bisection on points along the image border, which is where the
        border first shows for radial distortion.
        """
        edge = np.linspace(0, 1, samples)
        border = np.concatenate([
            np.stack([edge * (width - 1), np.zeros(samples)], 1),
            np.stack([edge * (width - 1), np.full(samples, height - 1.)], 1),
            np.stack([np.zeros(samples), edge * (height - 1)], 1),
            np.stack([np.full(samples, width - 1.), edge * (height - 1)], 1),
        ])

        def zoomed(zoom: float) -> 'LensModel':
            matrix = self.distorted_matrix.copy()
            matrix[0, 0] *= zoom
            matrix[1, 1] *= zoom
            return LensModel(self.dist_coeffs, self.ideal_matrix, matrix)

        def valid(zoom: float) -> bool:
            source = zoomed(zoom).undistort_points(border)
            # A pixel inside the outermost pixel centres: bilinear sampling then never reaches
            # the border value, also through the interpolated maps of distortion_maps (whose
            # error at the corners of a strong barrel stays under a pixel).
            margin = 1.0
            return bool(
                np.all(np.isfinite(source)) and np.all(source >= margin)
                and np.all(source[:, 0] <= width - 1 - margin)
                and np.all(source[:, 1] <= height - 1 - margin))

        if valid(1.0):
            return self
        low, high = 1.0, 2.0
        while not valid(high):
            low, high = high, high * 2
            if high > 64:
                raise ValueError(f'No zoom up to 64x removes the border of the distortion '
                                 f'{self.dist_coeffs.tolist()}: the lens model folds over '
                                 'inside the image; use weaker coefficients.')
        for _ in range(30):
            middle = (low + high) / 2
            low, high = (low, middle) if valid(middle) else (middle, high)
        return zoomed(high)
