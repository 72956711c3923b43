from typing import Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from zoo.registry import TRANSFORMS
from zoo.structures import ClsDataSample

# the dtypes OpenCV splits and flips as they are
_OPENCV_DTYPES = frozenset(
    np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64))


def _immutable(value) -> bool:
    """Whether a deep copy of ``value`` would be ``value`` itself (e.g. ``img_shape``)."""
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def image_to_chw(img: np.ndarray) -> np.ndarray:
    """A contiguous ``(C, H, W)`` copy of an ``(H, W, C)`` image, the same values.

    OpenCV's ``split`` into the planes of one array: a fifth of numpy's transposing copy (12 vs
    54 us for 224x224x3 ``uint8``). A horizontally flipped view, what ``mmcv.imflip`` returns,
    is flipped for real first (``cv2.flip``, 14 us): OpenCV would copy its negative strides
    element by element (430 us).
    """
    if (img.dtype not in _OPENCV_DTYPES or img.size == 0 or img.shape[2] > 4
            or img.strides[2] != img.itemsize):
        return np.ascontiguousarray(img.transpose(2, 0, 1))
    if img.strides[1] < 0:
        img = cv2.flip(img[:, ::-1], 1).reshape(img.shape)  # (OpenCV drops a single channel)
    planes = np.empty((img.shape[2], ) + img.shape[:2], img.dtype)
    cv2.split(img, list(planes))
    return planes


@TRANSFORMS.register_module(name=['PackInputs', 'PackClsInputs'])
class PackInputs(BaseTransform):
    """Pack an image and its label into what :class:`ImageClassifier` takes.

    mmpretrain 1.x's ``PackInputs``, also registered as ``PackClsInputs`` (zoo's first name,
    kept as an alias).

    Required keys: ``input_key`` (``img``: ``(H, W, C)`` or, for a grayscale image, ``(H, W)``).
    Optional keys: ``gt_label``, ``gt_score``, ``mask``, the ``algorithm_keys`` and any of the
    ``meta_keys``.

    Returns:
        ``dict(inputs=<tensor (C, H, W), contiguous, dtype of img (uint8)>,
        data_samples=<ClsDataSample with gt_label / gt_score / mask and the algorithm keys
        (when given) and the meta keys present>)``. A grayscale ``(H, W)`` image becomes
        ``(1, H, W)``. Normalisation happens later, on the device, in the model's data
        preprocessor.

    Args:
        input_key: The key of the image.
        algorithm_keys: Other keys of ``results`` copied to the data sample as data fields.
        meta_keys: The keys of ``results`` copied to the data sample's metainfo when present.
    """

    DEFAULT_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                         'flip_direction')

    def __init__(self,
                 input_key: str = 'img',
                 algorithm_keys: Sequence[str] = (),
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        if isinstance(meta_keys, str):
            meta_keys = (meta_keys, )
        if isinstance(algorithm_keys, str):
            algorithm_keys = (algorithm_keys, )
        self.input_key = input_key
        self.algorithm_keys = tuple(algorithm_keys)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        key = self.input_key
        if key not in results:
            raise KeyError(f"{type(self).__name__} needs the key '{key}' (is "
                           f'LoadImageFromFile missing from the pipeline?); the results hold '
                           f'{sorted(results)}')
        img = results[key]
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
            raise TypeError(f'{key} must be a numpy array (H, W) or (H, W, C), got '
                            f'{type(img).__name__} of shape {getattr(img, "shape", None)}')
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(image_to_chw(img))

        data_sample = ClsDataSample()
        if results.get('gt_label') is not None:
            data_sample.set_gt_label(results['gt_label'])
        if results.get('gt_score') is not None:
            data_sample.set_field(torch.as_tensor(results['gt_score']), 'gt_score')
        for field in ('mask', ) + self.algorithm_keys:
            if field in results:
                data_sample.set_field(results[field], field)
        metainfo = {k: results[k] for k in self.meta_keys if k in results}
        if all(_immutable(value) for value in metainfo.values()):
            for key, value in metainfo.items():  # what set_metainfo does, less its deep copy
                data_sample.set_field(value, key, field_type='metainfo')
        else:
            data_sample.set_metainfo(metainfo)  # a deep copy: later changes do not reach it
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_key={self.input_key!r}, '
                f'algorithm_keys={self.algorithm_keys}, meta_keys={self.meta_keys})')


PackClsInputs = PackInputs
