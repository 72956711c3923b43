import json
import os.path as osp
from typing import List, Optional, Union

from mmdet.datasets import CocoDataset as MMDetCocoDataset
from mmengine.fileio import exists

from zoo.registry import DATASETS
from ..formats import AnnotationChecker, InvalidAnnotationError, check_on_error
from ..formats.coco import checked_coco_box
from .utils import build_det_transforms


@DATASETS.register_module()
class CocoDataset(MMDetCocoDataset):
    """mmdet's ``CocoDataset`` that reports broken annotations instead of dropping them silently.

    mmdet's ``CocoDataset`` (3.3) silently drops an annotation whose box has negative or
    zero size, lies wholly outside its image or has ``area <= 0``, whose ``category_id`` is
    not among the file's categories, or whose ``image_id`` names no image; it keeps boxes
    that stick out of the image, and it does not look for the image files (a missing one
    fails mid-training, in ``LoadImageFromFile``). This subclass checks all of that while
    loading, then hands the valid annotations to mmdet's parser, so a valid file gives
    exactly mmdet's samples:

    * ``on_error='raise'`` (default): the first problem raises
      :class:`~zoo.det.formats.InvalidAnnotationError` naming the file, the
      annotation id and the image;
    * ``on_error='skip'``: the annotation (or, for a missing image file, the image) is
      dropped with a logged warning and counted in :attr:`skipped`.

    A box edge at most 1 px outside the image is clipped to it rather than reported.
    mmdet's own choices stay: boxes narrower or shorter than 1 px and categories left out
    of ``metainfo['classes']`` are dropped (deliberately), ``iscrowd`` boxes are ignored.

    Args:
        on_error: ``'raise'`` or ``'skip'``.
        check_images: Look for every image file while loading (one ``stat`` each).
        pipeline: The transforms, built in mmdet's scope.
        **kwargs: Passed to :class:`mmdet.datasets.CocoDataset`.

    Example:
        >>> dataset = CocoDataset(  # doctest: +SKIP
        ...     data_root='data/shapes/coco/', ann_file='annotations/instances_val.json',
        ...     data_prefix=dict(img='val/'), metainfo=dict(classes=SHAPE_CLASSES),
        ...     on_error='skip')
        >>> dataset.skipped
        []
    """

    def __init__(self,
                 *args,
                 on_error: str = 'raise',
                 check_images: bool = True,
                 pipeline=(),
                 **kwargs) -> None:
        self.on_error = check_on_error(on_error)
        self.check_images = check_images
        self.skipped: List[str] = []
        super().__init__(*args, pipeline=build_det_transforms(pipeline), **kwargs)

    def load_data_list(self) -> List[dict]:
        self._checker = AnnotationChecker(self.on_error, source=self.ann_file)
        self._orphans_checked = False
        try:
            data_list = [info for info in super().load_data_list() if info is not None]
        except json.JSONDecodeError as error:  # pycocotools' message names no file
            raise InvalidAnnotationError(f'{self.ann_file} is not valid JSON (truncated?): '
                                         f'{error}') from None
        self.skipped = self._checker.skipped
        self._checker.log_summary()
        return data_list

    def _check_orphans(self) -> None:
        """Report annotations whose ``image_id`` is not an image of the file (once)."""
        for ann in self.coco.dataset.get('annotations', []):
            if ann['image_id'] not in self.coco.imgs:
                self._checker.skip(f'{self.ann_file}: annotation id {ann.get("id")}',
                                   f'image_id {ann["image_id"]} is not in "images"')
        self._orphans_checked = True

    def parse_data_info(self, raw_data_info: dict) -> Optional[Union[dict, List[dict]]]:
        """Check the image file and each annotation, then parse the valid ones as mmdet does;
        ``None`` for a skipped image."""
        if not self._orphans_checked:
            self._check_orphans()
        img_info = raw_data_info['raw_img_info']
        name = img_info['file_name']
        img_path = osp.join(self.data_prefix['img'], name)
        if self.check_images and not exists(img_path, backend_args=self.backend_args):
            self._checker.skip(f'{self.ann_file}: image id {img_info["img_id"]}',
                               f'image file {img_path} not found')
            return None
        valid = []
        for ann in raw_data_info['raw_ann_info']:
            where = f'{self.ann_file}: annotation id {ann.get("id")} (image {name!r})'
            if ann.get('ignore', False):
                valid.append(ann)  # mmdet skips these itself
                continue
            try:
                valid.append(self._checked_ann(ann, img_info['width'], img_info['height']))
            except InvalidAnnotationError as error:
                self._checker.skip(where, error)
        return super().parse_data_info(dict(raw_data_info, raw_ann_info=valid))

    def _checked_ann(self, ann: dict, width: int, height: int) -> dict:
        """``ann`` with its box clipped to the image, or the reason it is broken."""
        if ann.get('category_id') not in self.coco.cats:
            raise InvalidAnnotationError(f'category_id {ann.get("category_id")} is not in '
                                         f'"categories" (ids: {sorted(self.coco.cats)})')
        x1, y1, x2, y2 = checked_coco_box(ann.get('bbox'), width, height)
        x, y, w, h = ann['bbox']
        area = ann.get('area')
        if not isinstance(area, (int, float)) or area <= 0:
            raise InvalidAnnotationError(f'area must be a positive number, got {area!r} (for a '
                                         f'box of size {w:g}x{h:g})')
        if (x1, y1, x2, y2) == (x, y, x + w, y + h):
            return ann
        return dict(ann, bbox=[x1, y1, x2 - x1, y2 - y1])
