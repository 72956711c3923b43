import os.path as osp
import pickle
import warnings
from typing import Any, List, Optional

import numpy as np

from zoo.registry import DATASETS
from .base_cls_dataset import BaseClsDataset
from .categories import CIFAR100_CATEGORIES

CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'

# The only globals a CIFAR python batch needs: numpy's array and dtype reconstruction (under the
# module names numpy 1.x and 2.x write) and ``_codecs.encode``, which Python 3 pickles of
# ``bytes`` use at protocol 2. None of them can run arbitrary code.
_ALLOWED_GLOBALS = frozenset({
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.numeric', '_frombuffer'),
    ('_codecs', 'encode'),
})


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global that a data file has no reason to hold."""


class _CIFARUnpickler(pickle.Unpickler):
    """An unpickler that builds only containers, strings, numbers and numpy arrays."""

    def __init__(self, file, path: str) -> None:
        # latin1 is how numpy arrays in Python 2 pickles (the published batches) decode.
        super().__init__(file, encoding='latin1')
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f'{self.path}: refusing to load {module}.{name}; a CIFAR batch holds only '
                f'lists, strings, numbers and numpy arrays, so this file is not one (or it was '
                f'tampered with)')
        with warnings.catch_warnings():
            # numpy 2 still resolves numpy.core.* for old pickles, with a DeprecationWarning.
            warnings.simplefilter('ignore', DeprecationWarning)
            return super().find_class(module, name)


def load_cifar_batch(path: str) -> dict:
    """Load one CIFAR python batch (a pickled dict) without letting it run code.

    Args:
        path: The batch file, e.g. ``data_batch_1`` or ``batches.meta``.

    Returns:
        The dict, with ``bytes`` keys decoded to ``str``.

    Raises:
        UnsafePickleError: The file asks for anything beyond containers, strings, numbers and
            numpy arrays.
    """
    with open(path, 'rb') as f:
        try:
            content = _CIFARUnpickler(f, path).load()
        except UnsafePickleError:
            raise
        except Exception as error:
            raise ValueError(f'{path} is not a CIFAR python batch: {error}') from error
    if not isinstance(content, dict):
        raise ValueError(f'{path} is not a CIFAR python batch: it holds a '
                         f'{type(content).__name__}, not a dict')
    return {k.decode('latin1') if isinstance(k, bytes) else k: v for k, v in content.items()}


@DATASETS.register_module()
class CIFAR10(BaseClsDataset):
    """CIFAR-10 from its python batches in a local folder; it never downloads.

    ``data_root`` holds the files of the extracted archive ``cifar-10-python.tar.gz``
    (`CIFAR10_URL`), i.e. ``data_batch_1`` .. ``data_batch_5``, ``test_batch`` and
    ``batches.meta``, either directly or in the archive's own folder ``cifar-10-batches-py/``
    (mmpretrain's layout), loaded with an unpickler that refuses anything a batch does not hold.

    The images are kept in memory, each sample being ``dict(img=<uint8 array (32, 32, 3)>,
    gt_label=<int>)``, so the pipeline starts without ``LoadImageFromFile``. The channels are
    in ``channel_order``: **RGB** by default, as mmpretrain's CIFAR10 gives them, so that
    mmpretrain's CIFAR recipes (``to_rgb=False``, mean/std in RGB order) normalise the right
    channels. zoo's own CIFAR configs ask for ``channel_order='bgr'``, the order in which
    ``mmcv.imread`` gives the images of a folder data set: every transform, visualiser and
    the inferencer's photos then see one order, normalised with ``to_rgb=True``.

    Args:
        data_root: The folder holding the extracted batches.
        split: ``'train'`` (50,000 images) or ``'test'`` (10,000 images).
        metainfo: Meta information; ``metainfo['classes']`` renames the 10 classes.
        download: mmpretrain's option; zoo never downloads, so a missing file raises either way.
        data_prefix: mmpretrain's other name of the folder, used when ``data_root`` is empty.
        channel_order: ``'rgb'`` (mmpretrain's order, the default) or ``'bgr'`` (mmcv's, as
            ``LoadImageFromFile`` gives photos; zoo's configs).
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset` (``pipeline``, ``indices``,
            ``test_mode``, ``lazy_init``, ...).
    """

    METAINFO = dict(
        classes=('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship',
                 'truck'))
    TRAIN_FILES = ('data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5')
    TEST_FILES = ('test_batch', )
    META_FILE = 'batches.meta'
    BASE_FOLDER = 'cifar-10-batches-py'
    NAME = 'CIFAR-10'
    URL = CIFAR10_URL
    LABELS_KEY = 'labels'
    NAMES_KEY = 'label_names'
    IMG_SIZE = 32

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 download: bool = True,
                 data_prefix: str = '',
                 channel_order: str = 'rgb',
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(f"{type(self).__name__}: channel_order must be 'rgb' or 'bgr', "
                             f'got {channel_order!r}')
        self.channel_order = channel_order
        if not isinstance(data_prefix, str):
            raise TypeError(f'{type(self).__name__}: data_prefix must be a folder (str), '
                            f'got {data_prefix!r}')
        data_root = data_root or data_prefix
        if not data_root:
            raise ValueError(f'data_root must be the folder holding the extracted batches of '
                             f'{self.URL}')
        self.split = split
        super().__init__(data_root=data_root, metainfo=metainfo, **kwargs)

    def _find(self, filename: str) -> str:
        path = osp.join(self.data_root, filename)
        if not osp.isfile(path) and osp.isfile(
                osp.join(self.data_root, self.BASE_FOLDER, filename)):
            path = osp.join(self.data_root, self.BASE_FOLDER, filename)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{self.NAME} file not found: {path!r}. Download {self.URL} and extract it '
                f'there, e.g. `tar -xzf {osp.basename(self.URL)} -C {self.data_root}` (its '
                f'{self.BASE_FOLDER}/ folder is found, as the batches directly in '
                f'{self.data_root!r}); zoo never downloads data')
        return path

    def load_data_list(self) -> List[dict]:
        files = self.TRAIN_FILES if self.split == 'train' else self.TEST_FILES
        paths = [self._find(name) for name in (self.META_FILE, ) + files]
        num_classes = len(self._metainfo['classes'])
        label_names = load_cifar_batch(paths[0]).get(self.NAMES_KEY)
        if label_names is None or len(label_names) != num_classes:
            raise ValueError(f'{paths[0]} names {label_names!r}, not the {num_classes} classes '
                             f'of {self.NAME}: is this a {self.NAME} folder?')

        data_list = []
        pixels = self.IMG_SIZE * self.IMG_SIZE * 3
        for path in paths[1:]:
            batch = load_cifar_batch(path)
            data, labels = batch.get('data'), batch.get(self.LABELS_KEY)
            if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                    or data.shape[1] != pixels or labels is None or len(labels) != len(data):
                raise ValueError(f'{path} is not a {self.NAME} batch: expected "data" a uint8 '
                                 f'array (N, {pixels}) and N "labels"')
            labels = np.asarray(labels, dtype=np.int64)
            if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
                raise ValueError(f'{path} holds labels outside 0..{num_classes - 1}')
            # Rows are channel-planar RGB: (N, 3, 32, 32) -> HWC (-> BGR)
            images = data.reshape(-1, 3, self.IMG_SIZE, self.IMG_SIZE).transpose(0, 2, 3, 1)
            if self.channel_order == 'bgr':
                images = images[..., ::-1]
            images = np.ascontiguousarray(images)
            data_list.extend(
                dict(img=img, gt_label=int(label)) for img, label in zip(images, labels))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}', f'Channel order: \t{self.channel_order}']


@DATASETS.register_module()
class CIFAR100(CIFAR10):
    """CIFAR-100 (fine labels) from its python batches in a local folder, as :class:`CIFAR10`.

    ``data_root`` holds ``train``, ``test`` and ``meta`` of ``cifar-100-python.tar.gz``,
    directly or in ``cifar-100-python/`` (mmpretrain's layout); the channels are in
    ``channel_order``, as :class:`CIFAR10`'s.
    """

    METAINFO = dict(classes=CIFAR100_CATEGORIES)
    TRAIN_FILES = ('train', )
    TEST_FILES = ('test', )
    META_FILE = 'meta'
    BASE_FOLDER = 'cifar-100-python'
    NAME = 'CIFAR-100'
    URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    LABELS_KEY = 'fine_labels'
    NAMES_KEY = 'fine_label_names'
