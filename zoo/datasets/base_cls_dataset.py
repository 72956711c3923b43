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

    def __init__(self, pipeline: Sequence[Union[dict, Callable]] = (), **kwargs) -> None:
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(pipeline=transforms, **kwargs)

    @property
    def CLASSES(self) -> Tuple[str, ...]:
        """The class names, in label order (mmpretrain's attribute name)."""
        return tuple(self.metainfo.get('classes') or ())

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
