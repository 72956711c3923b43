import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmengine.fileio as fileio
import numpy as np
from mmengine.logging import MMLogger

from zoo.registry import DATASETS
from .base_cls_dataset import BaseClsDataset
from .categories import VOC2007_CATEGORIES


@DATASETS.register_module()
class VOC(BaseClsDataset):
    """Pascal VOC as a multi-label classification data set, as mmpretrain's ``VOC``::

        data_root/                     (one VOC<year> folder of a VOCdevkit)
        ├── ImageSets/Main/<split>.txt one image id a line
        ├── Annotations/<id>.xml       the objects of each image (<name>, <difficult>)
        └── JPEGImages/<id>.jpg

    A sample is ``dict(img_path, gt_label, gt_label_difficult)``: ``gt_label`` lists (sorted)
    the classes of the image's objects that are not difficult, ``gt_label_difficult`` those of
    its difficult objects (mmpretrain's content: a class can be in both lists). The VOC metrics
    count a class found only among difficult objects as "difficult" (ignored by default); the
    test pipeline passes ``gt_label_difficult`` on through ``PackInputs(meta_keys=...)``.

    Two layouts, as mmpretrain's: ``data_root`` + ``split``, or, with ``split=''``, an
    ``image_set_path`` (also accepted as ``ann_file``) relative to ``data_root`` and the image
    and annotation folders in ``data_prefix``.

    Bad data is an error naming the file and the value: a missing image set or XML file, XML
    that does not parse, an XML without ``<object>``, an object without ``<name>``, a
    ``<difficult>`` that is not an integer, and, with the VOC classes, an object of another
    class. With classes given explicitly (``metainfo=dict(classes=...)`` or ``classes=``), the
    objects of other classes are dropped, as in mmpretrain, so a subset of the classes can be
    trained.

    Args:
        data_root: The VOC root.
        split: One of :attr:`SPLITS`, or ``''`` to give ``image_set_path`` instead.
        image_set_path: The file listing the image ids, relative to ``data_root``; by default
            ``ImageSets/Main/<split>.txt``.
        data_prefix: ``dict(img_path=..., ann_path=...)`` relative to ``data_root``, or the
            image folder as a string (then no annotations: for ``test_mode`` only).
        test_mode: Passed to :class:`mmengine.dataset.BaseDataset`; with ``split`` ``'val'``,
            ``'test'`` or ``''`` it allows a data set without annotations.
        metainfo: Meta information; ``metainfo['classes']`` replaces the 20 VOC classes.
        classes: The class names (or a file of them, one a line), as ``metainfo['classes']``.
        ann_file: Another name of ``image_set_path`` (mmcls 0.x's name of the id list).
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset` (``pipeline``, ...).
    """

    METAINFO = dict(classes=VOC2007_CATEGORIES)
    SPLITS = ('train', 'val', 'trainval', 'test')

    def __init__(self,
                 data_root: str,
                 split: str = 'trainval',
                 image_set_path: str = '',
                 data_prefix: Union[str, Dict[str, str]] = dict(
                     img_path='JPEGImages', ann_path='Annotations'),
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 classes: Union[str, Sequence[str], None] = None,
                 ann_file: str = '',
                 **kwargs) -> None:
        split = split or ''
        if ann_file:
            if image_set_path and image_set_path != ann_file:
                raise ValueError(f'VOC: ann_file ({ann_file!r}) is another name of '
                                 f'image_set_path ({image_set_path!r}); give one of them')
            image_set_path = ann_file
        if split:
            if split not in self.SPLITS:
                raise ValueError(f'VOC: split must be one of {self.SPLITS}, got {split!r}')
            data_prefix = data_prefix or dict(img_path='JPEGImages', ann_path='Annotations')
            image_set_path = image_set_path or fileio.join_path('ImageSets', 'Main', f'{split}.txt')
        elif not image_set_path:
            raise ValueError("VOC: give a split, or split='' and the image_set_path")
        if split in ('train', 'trainval') and test_mode:
            MMLogger.get_current_instance().warning(
                f'split="{split}" but test_mode=True. The {split} set will be used.')
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=osp.expanduser(data_prefix))
        if not isinstance(data_prefix, dict) or 'img_path' not in data_prefix or \
                not set(data_prefix) <= {'img_path', 'ann_path'}:
            raise ValueError(f'VOC: data_prefix must be an image folder or dict(img_path=..., '
                             f'ann_path=...), got {data_prefix!r}')
        if 'ann_path' not in data_prefix and (split not in ('', 'val', 'test') or not test_mode):
            raise ValueError(f'VOC: data_prefix needs ann_path (the XML folder) unless '
                             f"test_mode=True with split 'val', 'test' or ''; got {data_prefix!r}")
        metainfo = _with_classes(metainfo, classes)
        self.explicit_classes = metainfo.get('classes') is not None
        self.split = split
        self.image_set_path = fileio.join_path(data_root, image_set_path)
        super().__init__(
            ann_file='',
            data_root=data_root,
            data_prefix=data_prefix,
            test_mode=test_mode,
            metainfo=metainfo,
            **kwargs)

    @property
    def ann_prefix(self) -> Optional[str]:
        """The XML folder, joined with ``data_root``; ``None`` without annotations."""
        return self.data_prefix.get('ann_path')

    def load_data_list(self) -> List[dict]:
        class_to_idx = self.class_to_idx
        data_list = []
        for img_id in self._read_image_ids():
            labels = difficult = None
            if self.ann_prefix is not None:
                labels, difficult = self._read_labels(img_id, class_to_idx)
            data_list.append(
                dict(
                    img_path=fileio.join_path(self.img_prefix, f'{img_id}.jpg'),
                    gt_label=labels,
                    gt_label_difficult=difficult))
        return data_list

    def _read_image_ids(self) -> List[str]:
        """The ids of ``image_set_path``, one a line (blank lines skipped)."""
        path = self.image_set_path
        if not fileio.exists(path):
            raise FileNotFoundError(f'VOC image set file not found: {path!r} '
                                    f'(data_root={self.data_root!r}, split={self.split!r})')
        ids = []
        for line_no, line in enumerate(fileio.get_text(path).splitlines(), start=1):
            fields = line.split()
            if len(fields) > 1:
                raise ValueError(f'{path}, line {line_no}: expected one image id, got '
                                 f'{line!r} (ImageSets/Main/<class>_<split>.txt lists are not '
                                 f'image sets)')
            ids += fields
        if not ids:
            raise ValueError(f'VOC image set file {path!r} lists no images')
        return ids

    def _read_labels(self, img_id: str, class_to_idx: dict) -> Tuple[List[int], List[int]]:
        """The sorted classes of the image's objects that are not difficult, and of those
        that are."""
        path = fileio.join_path(self.ann_prefix, f'{img_id}.xml')
        if not fileio.exists(path):
            raise FileNotFoundError(f'VOC annotation file not found: {path!r} (image {img_id!r} '
                                    f'of {self.image_set_path!r})')
        try:
            root = ET.fromstring(fileio.get(path))
        except ET.ParseError as error:
            raise ValueError(f'VOC annotation file {path!r} is not valid XML: {error}') from None
        objects = root.findall('object')
        if not objects:
            raise ValueError(f'VOC annotation file {path!r} has no <object>: a VOC image has '
                             f'at least one labelled object')
        labels, difficult = set(), set()
        for index, obj in enumerate(objects):
            name = (obj.findtext('name') or '').strip()
            if not name:
                raise ValueError(f'{path}: <object> {index} has no <name>')
            if name not in class_to_idx:
                if self.explicit_classes:
                    continue  # a subset of the classes is trained
                raise ValueError(f'{path}: <object> {index} is of class {name!r}, not one of '
                                 f'the {len(class_to_idx)} classes {list(class_to_idx)} (give '
                                 f'the data set its classes, metainfo=dict(classes=...), to '
                                 f'train on others)')
            text = (obj.findtext('difficult') or '0').strip()
            try:
                is_difficult = int(text) != 0
            except ValueError:
                raise ValueError(f'{path}: <object> {index} ({name!r}) has <difficult> '
                                 f'{text!r}, not an integer') from None
            (difficult if is_difficult else labels).add(class_to_idx[name])
        return sorted(labels), sorted(difficult)

    def get_cat_ids(self, idx: int) -> List[int]:
        """The classes of sample ``idx`` (its ``gt_label``, as mmpretrain's multi-label data
        sets)."""
        return list(self.get_data_info(idx)['gt_label'] or [])

    def get_gt_labels(self) -> np.ndarray:
        raise TypeError('VOC is multi-label: a sample has a list of classes, not one label; '
                        'read them with get_cat_ids(idx)')

    def _relabel(self, info: dict, new_label: List[int]) -> None:
        for key in ('gt_label', 'gt_label_difficult'):
            if info[key] is not None:
                info[key] = sorted(new_label[label] for label in info[key])

    def extra_repr(self) -> List[str]:
        return [
            f'Path of image set: \t{self.image_set_path}',
            f'Prefix of images: \t{self.img_prefix}',
            f'Prefix of annotations: \t{self.ann_prefix}',
        ]


def _with_classes(metainfo: Optional[dict], classes: Union[str, Sequence[str], None]) -> dict:
    """``metainfo`` holding the class names given as ``classes`` (names, or a file of them one
    a line, as mmpretrain's ``classes``) or as ``metainfo['classes']``, checked."""
    metainfo = dict(metainfo or {})
    if classes is not None:
        if metainfo.get('classes') is not None:
            raise ValueError('VOC: give the class names either as classes= or as '
                             'metainfo["classes"], not both')
        metainfo['classes'] = fileio.list_from_file(classes) if isinstance(classes, str) \
            else classes
    if metainfo.get('classes') is not None:
        names = tuple(metainfo['classes'])
        if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise ValueError(f'VOC: classes must be distinct names, got {list(names)}')
        metainfo['classes'] = names
    return metainfo
