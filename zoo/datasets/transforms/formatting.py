from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from zoo.registry import TRANSFORMS
from zoo.structures import ClsDataSample


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """Pack an image and its label into what :class:`ImageClassifier` takes.

    Required keys: ``img`` (``(H, W, C)`` or, for a grayscale image, ``(H, W)``). Optional keys:
    ``gt_label`` and any of ``meta_keys``.

    Returns:
        ``dict(inputs=<tensor (C, H, W), contiguous, dtype of img (uint8)>,
        data_samples=<ClsDataSample with gt_label (when given) and the meta keys present>)``.
        A grayscale ``(H, W)`` image becomes ``(1, H, W)``. Normalisation happens later, on the
        device, in the model's data preprocessor.

    Args:
        meta_keys: The keys of ``results`` copied to the data sample's metainfo when present.
    """

    DEFAULT_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                         'flip', 'flip_direction')

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        if isinstance(meta_keys, str):
            meta_keys = (meta_keys, )
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise KeyError(f"PackClsInputs needs the key 'img' (is LoadImageFromFile missing "
                           f'from the pipeline?); the results hold {sorted(results)}')
        img = results['img']
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
            raise TypeError(f'img must be a numpy array (H, W) or (H, W, C), got '
                            f'{type(img).__name__} of shape {getattr(img, "shape", None)}')
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

        data_sample = ClsDataSample()
        if results.get('gt_label') is not None:
            data_sample.set_gt_label(results['gt_label'])
        data_sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
