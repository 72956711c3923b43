import os.path as osp
from typing import List, Optional

import numpy as np

from zoo.registry import DATASETS
from .base_cls_dataset import BaseClsDataset

MNIST_URL = 'http://yann.lecun.com/exdb/mnist/'


def read_idx_file(path: str) -> np.ndarray:
    """Read a uint8 IDX file (MNIST's format: ``0x00 0x00 0x08 <ndim>``, the sizes, the data).

    Raises:
        ValueError: naming the file when it is not a uint8 IDX file or its size does not match.
    """
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f'{path} is not a uint8 IDX file (MNIST format): its first bytes are '
                         f'{data[:4]!r}')
    ndim = data[3]
    shape = tuple(int(n) for n in np.frombuffer(data, dtype='>i4', count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(f'{path}: the header says {shape} values but the file holds '
                         f'{len(data) - offset} bytes of data')
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


@DATASETS.register_module()
class MNIST(BaseClsDataset):
    """MNIST from its (extracted) IDX files in a local folder, as mmpretrain's; never downloads.

    ``data_prefix`` (or ``data_root``) holds ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``
    (the ``.gz`` archives of `MNIST_URL`, gunzipped). As in mmpretrain, ``test_mode`` chooses
    the files: the training set unless ``test_mode=True``. Each sample is
    ``dict(img=<uint8 (28, 28)>, gt_label=<int>)``.

    Args:
        data_root: The folder of the files when ``data_prefix`` is empty.
        split: ``'train'`` or ``'test'`` (checked, as mmpretrain; ``test_mode`` picks the files).
        metainfo: Meta information.
        download: mmpretrain's option; zoo never downloads, so a missing file raises either way.
        data_prefix: The folder of the files.
        test_mode: Read the test files.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(
        classes=('0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six',
                 '7 - seven', '8 - eight', '9 - nine'))
    TRAIN_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte')
    TEST_FILES = ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 download: bool = True,
                 data_prefix: str = '',
                 test_mode: bool = False,
                 **kwargs) -> None:
        name = type(self).__name__
        if split not in ('train', 'test'):
            raise ValueError(f"{name}: split must be 'train' or 'test', got {split!r}")
        if not data_root and not data_prefix:
            raise ValueError(f'{name}: set data_root or data_prefix to the folder of the IDX '
                             f'files')
        self.split = split
        self.folder = data_prefix or data_root
        super().__init__(data_root=data_root, metainfo=metainfo, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        folder = self.folder
        if not osp.isabs(folder) and self.data_root and folder != self.data_root:
            folder = osp.join(self.data_root, folder)
        paths = [
            osp.join(folder, f) for f in (self.TEST_FILES if self.test_mode else self.TRAIN_FILES)
        ]
        for path in paths:
            if not osp.isfile(path):
                raise FileNotFoundError(f'{type(self).__name__} file not found: {path!r}; '
                                        f'download the .gz files of {MNIST_URL} and gunzip '
                                        f'them there (zoo never downloads data)')
        images, labels = (read_idx_file(path) for path in paths)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f'{paths[0]} and {paths[1]}: expected images (N, H, W) and N '
                             f'labels, got {images.shape} and {labels.shape}')
        num_classes = len(self._metainfo['classes'])
        if labels.size and labels.max() >= num_classes:
            raise ValueError(f'{paths[1]} holds labels outside 0..{num_classes - 1}')
        return [
            dict(img=np.ascontiguousarray(img), gt_label=int(label))
            for img, label in zip(images, labels)
        ]
