import os.path as osp
from typing import Dict, List

from zoo.registry import DATASETS
from .base_cls_dataset import BaseClsDataset
from .categories import CUB_CATEGORIES


def _read_id_file(path: str) -> Dict[int, str]:
    """``<1-based id> <value>`` lines as ``{id - 1: value}``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CUB file not found: {path!r}')
    table = {}
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not fields[0].isdigit():
                raise ValueError(f'{path}, line {line_no}: expected "<id> <value>", '
                                 f'got {line.rstrip()!r}')
            table[int(fields[0]) - 1] = fields[1]
    return table


@DATASETS.register_module()
class CUB(BaseClsDataset):
    """Caltech-UCSD Birds-200-2011 in its published layout, as mmpretrain's ``CUB``::

        data_root/
        ├── images.txt              "<id> <path under images/>"
        ├── image_class_labels.txt  "<id> <1-based class>"
        ├── train_test_split.txt    "<id> <1 for train, 0 for test>"
        └── images/001.Black_footed_Albatross/*.jpg ...

    Args:
        data_root: The root folder.
        split: ``'train'`` or ``'test'``.
        test_mode: Passed to :class:`mmengine.dataset.BaseDataset` (the split chooses the
            images, as in mmpretrain).
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(classes=CUB_CATEGORIES)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 test_mode: bool = False,
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"CUB: split must be 'train' or 'test', got {split!r}")
        self.split = split
        super().__init__(
            data_root=data_root,
            ann_file='images.txt',
            data_prefix=dict(img_path='images'),
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        samples = _read_id_file(self.ann_file)
        labels = _read_id_file(osp.join(self.data_root, 'image_class_labels.txt'))
        splits = _read_id_file(osp.join(self.data_root, 'train_test_split.txt'))
        if not samples.keys() == labels.keys() == splits.keys():
            raise ValueError(f'CUB: images.txt, image_class_labels.txt and '
                             f'train_test_split.txt in {self.data_root!r} list different ids')
        keep = '1' if self.split == 'train' else '0'
        return [
            dict(
                img_path=osp.join(self.data_prefix['img_path'], samples[i]),
                gt_label=int(labels[i]) - 1) for i in samples if splits[i] == keep
        ]
