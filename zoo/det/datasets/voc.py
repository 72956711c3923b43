import os.path as osp
from typing import List, Optional

from mmdet.datasets import VOCDataset as MMDetVOCDataset

from zoo.registry import DATASETS
from ..formats import AnnotationChecker, check_on_error, read_voc_annotation
from .utils import build_det_transforms


@DATASETS.register_module()
class VOCDataset(MMDetVOCDataset):
    """mmdet's ``VOCDataset`` that checks every box instead of passing broken ones on.

    mmdet's ``XMLDataset`` (3.3) keeps a box whose ``xmax < xmin`` (a negative-size box
    reaches the loss), keeps boxes outside the image, truncates fractional coordinates, and
    does not look for the image files. This subclass parses each XML file with
    :func:`zoo.det.formats.read_voc_annotation`, which validates every box, and
    produces exactly mmdet's samples for valid files (same ``img_path``, ``img_id``,
    ``xml_path``, ``height``, ``width`` and ``instances``, in mmdet's coordinate convention:
    each VOC value minus 1):

    * ``on_error='raise'`` (default): the first problem -- a missing XML or image file, a
      ``<bndbox>`` value that is missing or not a number, a box of negative or zero size or
      more than 1 px outside the image -- raises an error naming the XML file and object;
    * ``on_error='skip'``: that object (or image) is dropped with a logged warning and
      counted in :attr:`skipped`.

    Two differences from mmdet, both only where mmdet would be wrong or fail: the image is
    the file the XML's ``<filename>`` names (mmdet assumes ``<id>.jpg``; they agree on VOC
    itself), and fractional coordinates are kept instead of truncated. Objects of classes
    outside ``metainfo['classes']`` are dropped without a report, as in mmdet (that is how a
    subset of the classes is trained). Files are read from the local file system.

    Args:
        on_error: ``'raise'`` or ``'skip'``.
        pipeline: The transforms, built in mmdet's scope.
        **kwargs: Passed to :class:`mmdet.datasets.VOCDataset` (``data_root``, ``ann_file``,
            ``data_prefix=dict(sub_data_root=...)``, ``metainfo``, ``filter_cfg``, ...).
    """

    def __init__(self, *args, on_error: str = 'raise', pipeline=(), **kwargs) -> None:
        self.on_error = check_on_error(on_error)
        self.skipped: List[str] = []
        super().__init__(*args, pipeline=build_det_transforms(pipeline), **kwargs)

    def load_data_list(self) -> List[dict]:
        self._checker = AnnotationChecker(self.on_error, source=self.ann_file)
        data_list = [info for info in super().load_data_list() if info is not None]
        self.skipped = self._checker.skipped
        self._checker.log_summary()
        return data_list

    def parse_data_info(self, img_info: dict) -> Optional[dict]:
        """One image's sample, or ``None`` if it was skipped."""
        record = read_voc_annotation(
            img_info['xml_path'],
            osp.join(self.sub_data_root, self.img_subdir),
            img_info['img_id'],
            self._metainfo['classes'],
            self._checker,
            skip_unknown_classes=True)
        if record is None:
            return None
        min_size = self.bbox_min_size
        instances = []
        for box, label, difficult in zip(record.bboxes, record.labels, record.ignore_flags):
            ignore = bool(difficult)
            if min_size is not None:
                assert not self.test_mode, 'filter_cfg bbox_min_size is for training only'
                ignore |= bool(box[2] - box[0] < min_size or box[3] - box[1] < min_size)
            instances.append(
                dict(ignore_flag=int(ignore), bbox=[float(v) for v in box], bbox_label=int(label)))
        return dict(
            img_path=record.img_path,
            img_id=img_info['img_id'],
            xml_path=img_info['xml_path'],
            height=record.height,
            width=record.width,
            instances=instances)
