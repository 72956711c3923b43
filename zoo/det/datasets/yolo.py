import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

from mmdet.datasets.base_det_dataset import BaseDetDataset

from zoo.registry import DATASETS
from ..formats import AnnotationChecker, check_on_error, read_class_names
from ..formats.yolo import read_image_list, read_yolo_image, scan_images
from .utils import build_det_transforms


@DATASETS.register_module()
class YOLODataset(BaseDetDataset):
    """A detection data set in the YOLO text format, fed to mmdet's pipeline like ``CocoDataset``.

    Layout (Ultralytics')::

        data_root/
        ├── classes.txt                 class names, one a line; line i names class id i
        ├── train.txt                   optional list of images, one path a line
        ├── images/train/000001.jpg
        └── labels/train/000001.txt     one line per box: ``class cx cy w h``

    ``cx cy w h`` are the box centre and size divided by the image width and height. The label
    file of an image is its path with the last ``images`` folder replaced by ``labels`` and the
    extension by ``.txt``; an image without one has no objects. The images are
    ``ann_file``'s lines (paths relative to the list file's folder) or, without ``ann_file``,
    every image under ``data_prefix['img']`` in sorted order. The image size, which YOLO does
    not store, is read from the image header (no decoding; EXIF orientation applied, as
    mmcv's loader applies it).

    Each sample holds the fields mmdet's ``CocoDataset`` produces: ``img_path``, ``img_id``
    (the image's 1-based position in the list, as the zoo's COCO writer numbers them),
    ``seg_map_path`` (``None``), ``height``, ``width`` and ``instances``, each with ``bbox``
    (``[x1, y1, x2, y2]`` in pixels), ``bbox_label`` and ``ignore_flag`` (0: YOLO has no
    ignore flag). So mmdet's transforms, ``CocoMetric`` (with ``ann_file=None``; add
    ``'instances'`` to ``PackDetInputs``' ``meta_keys``) and ``VOCMetric`` work unchanged.

    Broken input -- a listed image that does not exist, a label line without exactly 5
    fields, a class id that is not an integer in ``0..C-1``, a box of negative or zero size
    or outside the image -- raises an error naming the file and line, or with
    ``on_error='skip'`` drops that image or box with a logged warning, counted in
    :attr:`skipped`. A box edge at most 1 px outside the image is clipped, not an error.

    Args:
        data_root: The root that ``ann_file``, ``data_prefix`` and ``classes_file`` are
            relative to.
        ann_file: A list of images (one path a line); ``''`` to scan ``data_prefix['img']``.
        data_prefix: ``dict(img='images/train/')``: the image folder to scan.
        classes_file: The class-names file. ``metainfo=dict(classes=...)`` may be given
            instead, or as well, in which case the two must agree.
        on_error: ``'raise'`` or ``'skip'`` (see above).
        metainfo: Meta information; ``classes`` as described for ``classes_file``.
        pipeline: The transforms, built in mmdet's scope.
        **kwargs: Passed to :class:`mmdet.datasets.BaseDetDataset` (``filter_cfg``,
            ``test_mode``, ``backend_args``, ``indices``, ``serialize_data``, ...).
            ``filter_cfg=dict(filter_empty_gt=True, min_size=32)`` works as for ``CocoDataset``.

    Example:
        >>> dataset = YOLODataset(  # doctest: +SKIP
        ...     data_root='data/shapes/yolo/', ann_file='val.txt',
        ...     pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        ...               dict(type='PackDetInputs')])
        >>> dataset[0]['inputs'].shape, dataset[0]['data_samples'].gt_instances.bboxes.shape
        (torch.Size([3, 256, 256]), torch.Size([3, 4]))
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 classes_file: Optional[str] = 'classes.txt',
                 on_error: str = 'raise',
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **kwargs) -> None:
        self.on_error = check_on_error(on_error)
        self.skipped: List[str] = []
        data_prefix = dict(img='') if data_prefix is None else dict(data_prefix)
        if 'img' not in data_prefix:
            raise ValueError(f'data_prefix must hold the image folder as dict(img=...), got '
                             f'{data_prefix!r}')
        metainfo = dict(metainfo or {})
        metainfo['classes'] = self._resolve_classes(data_root, classes_file,
                                                    metainfo.get('classes'))
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            pipeline=build_det_transforms(pipeline),
            **kwargs)

    @staticmethod
    def _resolve_classes(data_root: str, classes_file: Optional[str],
                         given: Optional[Sequence[str]]) -> tuple:
        """The class names: from ``classes_file`` and/or ``metainfo``, which must agree."""
        from_file = None
        if classes_file:
            path = classes_file if osp.isabs(classes_file) else osp.join(data_root, classes_file)
            if osp.isfile(path):
                from_file = read_class_names(path)
            elif given is None:
                raise FileNotFoundError(f'class-names file not found: {path} (give '
                                        'classes_file, or metainfo=dict(classes=...))')
        if given is not None:
            if isinstance(given, str) or not all(isinstance(n, str) for n in given):
                raise TypeError(f'metainfo["classes"] must be a sequence of names, got {given!r}')
            if from_file is not None and tuple(given) != from_file:
                raise ValueError(f'metainfo classes {list(given)} differ from {classes_file}: '
                                 f'{list(from_file)}; YOLO class ids index the names file, so '
                                 'they must be the same names in the same order')
            return tuple(given)
        if from_file is None:
            raise ValueError('no classes: give classes_file or metainfo=dict(classes=...)')
        return from_file

    def load_data_list(self) -> List[dict]:
        """Read every listed image's size and label file (see the class docstring)."""
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(f'image list not found: {self.ann_file}')
            entries = read_image_list(self.ann_file)
            source = self.ann_file
        else:
            folder = self.data_prefix['img']
            if not osp.isdir(folder):
                raise FileNotFoundError(f'image folder not found: {folder!r} (data_root='
                                        f'{self.data_root!r}, data_prefix={self.data_prefix!r})')
            entries = [(path, path) for path in scan_images(folder)]
            source = folder
        checker = AnnotationChecker(self.on_error, source=source)
        num_classes = len(self.metainfo['classes'])
        data_list = []
        for img_id, (where, img_path) in enumerate(entries, start=1):
            record = read_yolo_image(where, img_path, osp.basename(img_path), num_classes, checker)
            if record is None:
                continue
            instances = [
                dict(bbox=[float(v) for v in box], bbox_label=int(label), ignore_flag=0)
                for box, label in zip(record.bboxes, record.labels)
            ]
            data_list.append(
                dict(
                    img_path=img_path,
                    img_id=img_id,
                    seg_map_path=None,
                    height=record.height,
                    width=record.width,
                    instances=instances))
        self.skipped = checker.skipped
        checker.log_summary()
        if not data_list:
            raise ValueError(f'no usable images in {source}')
        return data_list

    def filter_data(self) -> List[dict]:
        """Drop images without boxes (``filter_empty_gt``) or smaller than ``min_size``, as
        mmdet's ``CocoDataset`` does; nothing in ``test_mode``."""
        if self.test_mode or self.filter_cfg is None:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        return [
            info for info in self.data_list if not (filter_empty_gt and not info['instances'])
            and min(info['width'], info['height']) >= min_size
        ]
