import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

from zoo.registry import DATASETS
from .base_cls_dataset import BaseClsDataset
from .split import check_val_ratio, stratified_split

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class CustomDataset(BaseClsDataset):
    """An image-classification data set from a folder of images (the ImageFolder layout).

    Two ways to say which image has which label:

    1. **Sub-folders** (no ``ann_file``): every sub-folder of the data folder is a class, named
       after the folder; images are found recursively inside it::

           data_root/data_prefix/
           ├── cat/
           │   ├── 001.jpg
           │   └── more/002.png
           └── dog/
               └── 003.jpg

       Without ``classes`` the classes are the sorted sub-folder names (hidden folders, whose
       name starts with ``.``, are skipped). With ``classes`` exactly those folders are used, in
       that order, and any other sub-folder is ignored.

    2. **An annotation file** (``ann_file``): one sample a line, ``<path> <label index>``, the
       path relative to the data folder; blank lines are skipped::

           cat/001.jpg 0
           dog/003.jpg 1

       ``classes`` names the label indices; without it the classes are named ``'0'``, ``'1'``,
       ... up to the largest label in the file.

    A single folder of labelled images can be split into reproducible train and val subsets
    with ``split='train'`` / ``split='val'``: the two data sets built with the same
    ``val_ratio`` and ``split_seed`` are disjoint, their union is the whole folder, and every
    class is split in the same proportion (see :func:`zoo.datasets.split.stratified_split`).

    Each sample is ``dict(img_path=<absolute or data_root-joined path>, gt_label=<int>)``; the
    pipeline starts with ``LoadImageFromFile``.

    Args:
        data_root: The root that ``data_prefix`` and ``ann_file`` are relative to.
        data_prefix: The image folder, as a path or ``dict(img_path=path)``.
        ann_file: The annotation file; ``''`` to read the labels from the sub-folders.
        classes: The class names, in label order. Also accepted as ``metainfo['classes']``.
        extensions: The file extensions (case-insensitive) that count as images.
        split: ``None`` for every image, or ``'train'`` / ``'val'`` for one side of the split.
        val_ratio: The share of every class that goes to val, in (0, 1).
        split_seed: The seed of the split.
        metainfo: Extra meta information; ``metainfo['classes']`` as ``classes``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset` (``pipeline``, ``test_mode``,
            ``indices``, ``lazy_init``, ``serialize_data``, ...).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Union[str, Dict[str, str]] = '',
                 ann_file: str = '',
                 classes: Optional[Sequence[str]] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 split: Optional[str] = None,
                 val_ratio: float = 0.2,
                 split_seed: int = 0,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        if not isinstance(data_prefix, dict) or set(data_prefix) != {'img_path'}:
            raise ValueError(f'data_prefix must be a path or dict(img_path=path), '
                             f'got {data_prefix!r}')
        if split not in (None, 'train', 'val'):
            raise ValueError(f"split must be None, 'train' or 'val', got {split!r}")
        self.val_ratio = check_val_ratio(val_ratio)
        self.split = split
        self.split_seed = int(split_seed)
        if isinstance(extensions, str):
            extensions = (extensions, )
        self.extensions = tuple(ext.lower() if ext.startswith('.') else f'.{ext.lower()}'
                                for ext in extensions)
        if not self.extensions:
            raise ValueError('extensions must name at least one file extension')

        metainfo = dict(metainfo or {})
        if classes is not None:
            if 'classes' in metainfo:
                raise ValueError('give the class names either as classes= or as '
                                 'metainfo["classes"], not both')
            metainfo['classes'] = classes
        if metainfo.get('classes') is not None:
            names = metainfo['classes']
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise TypeError(f'classes must be a sequence of names (str), got {names!r}')
            if len(set(names)) != len(names):
                raise ValueError(f'classes holds duplicate names: {list(names)}')
            metainfo['classes'] = tuple(names)
        self.explicit_classes = metainfo.get('classes') is not None
        self.labels_are_indices = bool(ann_file) and not self.explicit_classes
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file=ann_file,
            metainfo=metainfo,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Collect the samples, then keep one side of the split if ``split`` is set."""
        folder = self.img_prefix
        if not osp.isdir(folder):
            raise FileNotFoundError(f'image folder not found: {folder!r} '
                                    f'(data_root={self.data_root!r}, '
                                    f'data_prefix={self.data_prefix["img_path"]!r})')
        if self.ann_file:
            samples, classes = self._load_annotations()
        else:
            samples, classes = self._scan_class_folders()
        if not samples:
            source = self.ann_file if self.ann_file else folder
            raise ValueError(f'no images in {source!r} (extensions: {self.extensions})')
        self._metainfo['classes'] = classes

        if self.split is not None:
            keys = [path for path, _ in samples]
            train, val = stratified_split(keys, [label for _, label in samples], self.val_ratio,
                                          self.split_seed)
            chosen = train if self.split == 'train' else val
            if not chosen:
                raise ValueError(f'split={self.split!r} of {folder!r} is empty with '
                                 f'val_ratio={self.val_ratio}: every class needs at least '
                                 f'two images to give one to each side')
            samples = [samples[i] for i in chosen]
        return [dict(img_path=osp.join(folder, path), gt_label=label) for path, label in samples]

    def _is_image(self, filename: str) -> bool:
        return not filename.startswith('.') and filename.lower().endswith(self.extensions)

    def _scan_class_folders(self) -> Tuple[List[Tuple[str, int]], Tuple[str, ...]]:
        """Samples ``(relative path, label)`` from the class sub-folders, in sorted order."""
        folder = self.img_prefix
        found = sorted(
            entry.name for entry in os.scandir(folder)
            if entry.is_dir() and not entry.name.startswith('.'))
        classes = self._metainfo.get('classes')
        if classes is None:
            if not found:
                raise ValueError(f'no class sub-folders in {folder!r}: put the images of each '
                                 f'class in <folder>/<class name>/, or give an ann_file')
            classes = tuple(found)
        else:
            missing = [name for name in classes if name not in found]
            if missing:
                raise FileNotFoundError(f'class folders not found in {folder!r}: {missing} '
                                        f'(sub-folders there: {found})')
        samples = []
        for label, name in enumerate(classes):
            class_folder = osp.join(folder, name)
            files = [osp.relpath(path, folder) for path in self._images_under(class_folder)]
            if not files:
                raise ValueError(f'class folder {class_folder!r} holds no images '
                                 f'(extensions: {self.extensions})')
            samples.extend((path, label) for path in sorted(files))
        return samples, tuple(classes)

    def _images_under(self, class_folder: str) -> List[str]:
        """Every image under ``class_folder``, following symbolic links, which must not loop.

        A link back to a folder it lies in would be followed for ever (``os.walk`` does not
        notice), taking the images of every class that folder holds into this one.
        """
        images = []
        # the real path of every folder from class_folder down to each folder still to walk
        chains = {class_folder: {osp.realpath(class_folder)}}
        for root, dirs, names in os.walk(class_folder, followlinks=True):
            chain = chains.pop(root)
            dirs[:] = [d for d in dirs if not d.startswith('.')]
            for d in dirs:
                path = osp.join(root, d)
                real = osp.realpath(path)
                if real in chain:
                    raise ValueError(f'symbolic link loop in class folder {class_folder!r}: '
                                     f'{path} leads back to {real}, which holds it; remove '
                                     'the link or point it elsewhere')
                chains[path] = chain | {real}
            images.extend(osp.join(root, n) for n in names if self._is_image(n))
        return images

    def _load_annotations(self) -> Tuple[List[Tuple[str, int]], Tuple[str, ...]]:
        """Samples ``(relative path, label)`` from the lines of ``ann_file``."""
        ann_file = self.ann_file
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'annotation file not found: {ann_file!r}')
        classes = self._metainfo.get('classes')
        samples = []
        with open(ann_file, encoding='utf-8') as f:
            for line_no, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    continue
                where = f'{ann_file}, line {line_no}'
                if len(fields) != 2:
                    raise ValueError(f'{where}: expected "<relative/path> <label index>", '
                                     f'got {len(fields)} fields: {line.rstrip()!r}')
                path, label_text = fields
                try:
                    label = int(label_text)
                except ValueError:
                    raise ValueError(f'{where}: the label must be an integer index, '
                                     f'got {label_text!r}') from None
                if label < 0 or (classes is not None and label >= len(classes)):
                    allowed = f'0..{len(classes) - 1}' if classes is not None else '>= 0'
                    raise ValueError(f'{where}: label {label} is out of range ({allowed})')
                samples.append((path, label))
        if classes is None:
            classes = tuple(str(i) for i in range(max((l for _, l in samples), default=-1) + 1))
        return samples, tuple(classes)

    def extra_repr(self) -> List[str]:
        lines = [f'Image folder: \t{self.img_prefix}']
        if self.ann_file:
            lines.append(f'Annotation file: \t{self.ann_file}')
        if self.split is not None:
            lines.append(f'Split: \t{self.split} (val_ratio={self.val_ratio}, '
                         f'seed={self.split_seed})')
        return lines
