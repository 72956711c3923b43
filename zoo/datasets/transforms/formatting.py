from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from zoo.registry import TRANSFORMS
from zoo.structures import ClsDataSample


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
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

        data_sample = ClsDataSample()
        if results.get('gt_label') is not None:
            data_sample.set_gt_label(results['gt_label'])
        if results.get('gt_score') is not None:
            data_sample.set_field(torch.as_tensor(results['gt_score']), 'gt_score')
        for field in ('mask', ) + self.algorithm_keys:
            if field in results:
                data_sample.set_field(results[field], field)
        data_sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_key={self.input_key!r}, '
                f'algorithm_keys={self.algorithm_keys}, meta_keys={self.meta_keys})')


PackClsInputs = PackInputs
