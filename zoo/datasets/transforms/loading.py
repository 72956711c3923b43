from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile

from zoo.registry import TRANSFORMS


class ImageDecodeError(OSError):
    """An image file exists but cannot be decoded."""


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with errors that name the file.

    mmcv's transform lets the decoder's own failure through: with the default ``cv2`` backend a
    file that is not an image decodes to ``None`` and the transform then fails with
    ``'NoneType' object has no attribute 'shape'``; with ``pillow`` the message names an
    anonymous ``BytesIO``. Here a missing file raises ``FileNotFoundError`` and an undecodable
    one :class:`ImageDecodeError`, both naming ``img_path``. Everything else (arguments,
    ``color_type``, ``ignore_empty``, backends, the keys it sets) is mmcv's.

    Required keys: ``img_path``. Added keys: ``img`` (``uint8`` ``(H, W, 3)`` BGR, or
    ``(H, W)`` for ``color_type='grayscale'``), ``img_shape``, ``ori_shape`` (``(H, W)``).
    """

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            if self.file_client_args is not None:
                file_client = fileio.FileClient.infer_client(self.file_client_args, filename)
                img_bytes = file_client.get(filename)
            else:
                img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except Exception as error:
            if self.ignore_empty:
                return None
            if isinstance(error, FileNotFoundError):
                raise FileNotFoundError(f'image file not found: {filename}') from error
            raise
        try:
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as error:
            img, cause = None, error
        else:
            cause = None
        if img is None:
            if self.ignore_empty:
                return None
            detail = f': {cause}' if cause is not None else ''
            raise ImageDecodeError(
                f'cannot decode image file {filename} ({len(img_bytes)} bytes) with the '
                f'{self.imdecode_backend!r} backend{detail}') from cause
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
