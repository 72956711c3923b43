from typing import Dict, List, Optional, Tuple, Union

import mmengine.fileio as fileio

from zoo.registry import DATASETS
from .categories import IMAGENET_CATEGORIES
from .custom import CustomDataset


class _SplitFolderDataset(CustomDataset):
    """A :class:`CustomDataset` whose ``split`` names its sub-folder, as mmpretrain's ImageNet.

    ``split='train'`` reads ``data_root/train/`` and, when ``data_root/meta/train.txt`` exists
    (lines ``<path relative to train/> <label>``), takes the labels from it; otherwise each
    sub-folder of ``train/`` is a class, in sorted order. ``data_prefix`` / ``ann_file``
    override either. A data set with fixed class names (``METAINFO``) keeps them in the folder
    layout too, and then needs as many class folders as names (mmpretrain asserts the same).

    Unlike :class:`CustomDataset`, ``split`` here is one of :attr:`SPLITS`, not a train/val
    division of one folder.
    """

    SPLITS: Tuple[str, ...] = ()
    IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')

    def __init__(self,
                 data_root: str = '',
                 split: str = '',
                 data_prefix: Union[str, Dict[str, str]] = '',
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        name = type(self).__name__
        if kwargs.get('with_label', True) is not True:
            raise ValueError(f'{name}: with_label=False (images without labels) is not '
                             f'supported by zoo; zoo reads labelled splits only')
        kwargs.pop('with_label', None)
        if split:
            if split not in self.SPLITS:
                raise ValueError(f'{name}: split must be one of {self.SPLITS} in zoo, '
                                 f'got {split!r}')
            data_prefix = split if data_prefix == '' else data_prefix
            if ann_file == '':
                meta = fileio.join_path('meta', f'{split}.txt')
                if fileio.exists(fileio.join_path(data_root, meta)):
                    ann_file = meta
        kwargs.setdefault('extensions', self.IMG_EXTENSIONS)
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file=ann_file,
            metainfo=metainfo,
            **kwargs)

    def _scan_class_folders(self) -> Tuple[List[Tuple[str, int]], Tuple[str, ...]]:
        names = self._metainfo.get('classes')
        if names is None:
            return super()._scan_class_folders()
        self._metainfo['classes'] = None  # scan the sorted folders, keep the names
        try:
            samples, folders = super()._scan_class_folders()
        finally:
            self._metainfo['classes'] = names
        if len(folders) != len(names):
            raise ValueError(f'{type(self).__name__}: {self.img_prefix!r} holds '
                             f'{len(folders)} class folders but the data set has '
                             f'{len(names)} classes; give an ann_file (meta/<split>.txt) for a '
                             f'subset')
        return samples, tuple(names)


@DATASETS.register_module()
class ImageNet(_SplitFolderDataset):
    """ImageNet-1k in mmpretrain's layout (``split='train'`` or ``'val'``)::

        data_root/
        ├── meta/train.txt   "n01440764/n01440764_10026.JPEG 0" a line
        ├── meta/val.txt     "ILSVRC2012_val_00000001.JPEG 65" a line
        ├── train/n01440764/*.JPEG ...
        └── val/*.JPEG

    The class names are ImageNet's 1000 (mmpretrain's ``IMAGENET_CATEGORIES``). mmpretrain's
    unlabelled ``split='test'`` (``with_label=False``) is not supported.

    Args:
        data_root: The root folder.
        split: ``'train'`` or ``'val'``, or ``''`` to use ``data_prefix`` / ``ann_file`` only.
        data_prefix: The image folder (default: the split's).
        ann_file: The annotation file (default: ``meta/<split>.txt`` when it exists).
        metainfo: Meta information; ``metainfo['classes']`` replaces the names.
        **kwargs: Passed to :class:`CustomDataset`.
    """

    SPLITS = ('train', 'val')
    METAINFO = dict(classes=IMAGENET_CATEGORIES)


@DATASETS.register_module()
class ImageNet21k(_SplitFolderDataset):
    """ImageNet-21k in mmpretrain's layout (``split='train'``), without class names.

    Args:
        data_root: The root folder.
        split: ``'train'`` or ``''``.
        data_prefix: The image folder (default: the split's).
        ann_file: The annotation file (default: ``meta/train.txt`` when it exists).
        metainfo: Meta information.
        multi_label: Must be False (mmpretrain raises NotImplementedError too).
        **kwargs: Passed to :class:`CustomDataset`.
    """

    SPLITS = ('train', )

    def __init__(self, *args, multi_label: bool = False, **kwargs) -> None:
        if multi_label:
            raise ValueError('ImageNet21k: multi_label=True is not supported (nor by '
                             'mmpretrain 1.2.0)')
        self.multi_label = multi_label
        super().__init__(*args, **kwargs)
