"""Helpers shared by zoo's detection datasets."""
from typing import Callable, List, Sequence, Union

from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS


def build_det_transforms(pipeline: Sequence[Union[dict, Callable]]) -> List[Callable]:
    """Build a detection pipeline's transform configs in mmdet's scope.

    Inside a Runner with ``default_scope='mmdet'`` this is what mmengine's ``Compose`` does
    anyway; building in mmdet's scope explicitly makes ``dict(type='PackDetInputs')`` resolve
    also where the current default scope is another one (``zoo``) or none, e.g. a data set
    built directly in a script. A ``_scope_`` in a config and ``type='zoo.X'`` still win.
    """
    transforms = []
    for transform in pipeline:
        if isinstance(transform, dict):
            transform = MMDET_TRANSFORMS.build(
                dict(transform, _scope_=transform.get('_scope_', 'mmdet')))
        transforms.append(transform)
    return transforms
