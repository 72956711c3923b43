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

    mmcv 2.1.0 reports a file that is not an image with a bare ``assert`` under the ``cv2``
    backend (``AssertionError``, gone under ``python -O``, and not covered by ``ignore_empty``)
    and, under ``pillow``, with ``cannot identify image file <_io.BytesIO object ...>``, which
    names no file. Here a missing file raises ``FileNotFoundError`` and an undecodable one
    :class:`ImageDecodeError` (an ``OSError``), both naming ``img_path``, and ``ignore_empty``
    covers both. Everything else (arguments, ``color_type``, backends, the keys it sets) is
    mmcv's.

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
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type, backend=self.imdecode_backend)
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
