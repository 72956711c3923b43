from typing import Callable, Dict, List, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset

from zoo.registry import TRANSFORMS


class BaseClsDataset(BaseDataset):
    """What every single-label classification data set shares.

    A subclass's ``load_data_list`` returns one dict a sample holding ``gt_label`` (an ``int``
    class index) and either ``img_path`` or, for data sets kept in memory, ``img``; its class
    names live in ``metainfo['classes']``. This base adds the label queries that samplers,
    data set wrappers (``ClassBalancedDataset``) and analysis tools ask for.

    The pipeline's transforms are built through zoo's registry (as mmpretrain's datasets do
    through theirs), so ``dict(type='PackClsInputs')`` resolves even where no default scope is
    set, e.g. a data set built directly in a script or a test.

    Args:
        pipeline: The transforms, as configs or callables.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    # Whether the class names were given explicitly (then labels may be mapped by name onto
    # a model's classes); a subclass that finds its classes in the data leaves it False.
    explicit_classes: bool = False
    # Whether the labels are plain indices whose names are only their numbers (an annotation
    # file without classes): then they cannot shift, and the model's names are adopted.
    labels_are_indices: bool = False

    def __init__(self, pipeline: Sequence[Union[dict, Callable]] = (), **kwargs) -> None:
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(pipeline=transforms, **kwargs)

    @property
    def CLASSES(self) -> Tuple[str, ...]:
        """The class names, in label order (mmpretrain's attribute name)."""
        return tuple(self.metainfo.get('classes') or ())

    @property
    def img_prefix(self) -> str:
        """The image folder, joined with ``data_root`` (mmpretrain's name)."""
        return self.data_prefix.get('img_path', '')

    @property
    def class_to_idx(self) -> Dict[str, int]:
        """Map of class name to label index."""
        return {name: index for index, name in enumerate(self.CLASSES)}

    def get_gt_labels(self) -> np.ndarray:
        """The ground-truth label of every sample, shape ``(N,)``, ``int64``."""
        return np.array([self.get_data_info(i)['gt_label'] for i in range(len(self))],
                        dtype=np.int64)

    def get_cat_ids(self, idx: int) -> List[int]:
        """The category ids of sample ``idx`` (one for single-label data)."""
        return [int(self.get_data_info(idx)['gt_label'])]

    def align_classes(self, model_classes: Sequence[str], source: str) -> None:
        """Make sure that label ``i`` means the model's class ``i``.

        A data set whose classes differ from the model's is an error naming the missing and
        extra classes (a class folder missing from a val set would otherwise shift every
        label after it). If the classes were given explicitly (``classes=``), the labels are
        mapped by name onto the model's indices instead.

        Args:
            model_classes: The model's classes, in label order.
            source: Where they come from, for the message (the training set, a checkpoint).

        Raises:
            ValueError: naming the missing and extra classes.
        """
        self.full_init()  # a lazily built data set finds its classes while loading
        model_classes = tuple(model_classes)
        classes = self.CLASSES
        if classes == model_classes:
            return
        if self.labels_are_indices and len(classes) <= len(model_classes):
            self._metainfo['classes'] = model_classes  # plain indices: nothing can shift
            return
        missing = [name for name in model_classes if name not in classes]
        extra = [name for name in classes if name not in model_classes]
        where = f'{type(self).__name__} at {self.data_prefix.get("img_path", self.data_root)}'
        if not self.explicit_classes:
            order = '' if missing or extra else ' (the same classes in another order)'
            raise ValueError(
                f'{where} has other classes than the model ({source}){order}: missing '
                f'{missing}, extra {extra}. Labels are class indices, so label i would not '
                'mean the model\'s class i; give the data set its class names (classes=...) '
                'to map its labels by name')
        if extra:
            raise ValueError(f'{where}: the classes given, {list(classes)}, include {extra}, '
                             f'which the model ({source}) does not have: {list(model_classes)}')
        index = {name: i for i, name in enumerate(model_classes)}
        new_label = [index[name] for name in classes]
        data_list = [self.get_data_info(i) for i in range(len(self))]
        for info in data_list:
            self._relabel(info, new_label)
        self.data_list = data_list
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._metainfo['classes'] = model_classes

    def _relabel(self, info: dict, new_label: List[int]) -> None:
        """Give sample ``info`` its labels under the model's indices (``new_label[old]``)."""
        info['gt_label'] = new_label[int(info['gt_label'])]

    def extra_repr(self) -> List[str]:
        """Lines that a subclass adds to ``repr``."""
        return []

    def __repr__(self) -> str:
        lines = [f'Dataset {self.__class__.__name__}']
        if self._fully_initialized:
            lines.append(f'    Number of samples: \t{len(self)}')
        else:
            lines.append('    Haven\'t been initialized')
        lines.append(f'    Number of categories: \t{len(self.CLASSES)}')
        lines.append(f'    Data root: \t{self.data_root}')
        lines.extend(f'    {line}' for line in self.extra_repr())
        return '\n'.join(lines)
