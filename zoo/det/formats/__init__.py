"""Detection annotation formats (COCO JSON, Pascal VOC XML, YOLO text): read, check, write.

Free of mmdet: the converters and the shapes generator use it without a detection stack,
and zoo's detection datasets (:mod:`zoo.det.datasets`) parse their files with it.
"""
from .annotations import (BOX_TOLERANCE, ON_ERROR_CHOICES, AnnotationChecker, DetectionSplit,
                          ImageRecord, InvalidAnnotationError, check_on_error, checked_box)
from .coco import coco_ann_file, coco_dict, read_coco, write_coco
from .convert import (FORMATS, convert_dataset, find_splits, image_destination, read_split,
                      write_split)
from .files import (atomic_output_dir, image_size, link_or_copy, list_files, read_class_names,
                    write_class_names)
from .voc import box_from_voc, read_voc, read_voc_annotation, voc_from_box, write_voc
from .yolo import (box_from_yolo, read_yolo, read_yolo_labels, write_yolo, yolo_from_box,
                   yolo_label_path)

__all__ = [
    'BOX_TOLERANCE', 'ON_ERROR_CHOICES', 'AnnotationChecker', 'DetectionSplit', 'ImageRecord',
    'InvalidAnnotationError', 'check_on_error', 'checked_box', 'coco_ann_file', 'coco_dict',
    'read_coco', 'write_coco', 'FORMATS', 'convert_dataset', 'find_splits', 'image_destination',
    'read_split', 'write_split', 'atomic_output_dir', 'image_size', 'link_or_copy', 'list_files',
    'box_from_voc', 'read_class_names', 'read_voc', 'read_voc_annotation', 'voc_from_box',
    'write_class_names', 'write_voc', 'box_from_yolo', 'read_yolo', 'read_yolo_labels',
    'write_yolo', 'yolo_from_box', 'yolo_label_path'
]
