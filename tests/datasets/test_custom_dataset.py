import os.path as osp
import random

import cv2
import numpy as np
import pytest
import torch

from zoo.datasets import CustomDataset, stratified_split
from zoo.registry import DATASETS


def write_image(path, size=16, gray=False, seed=0):
    rng = np.random.default_rng(seed)
    shape = (size, size) if gray else (size, size, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), rng.integers(0, 256, shape, dtype=np.uint8))


def make_folder(root, counts, gray=False):
    """``counts``: {class name: number of images}; returns the relative paths written."""
    written = []
    for c, (name, count) in enumerate(sorted(counts.items())):
        for i in range(count):
            relative = f'{name}/{i:03d}.png'
            write_image(root / relative, gray=gray, seed=100 * c + i)
            written.append(relative)
    return written


def test_folder_mode_labels_and_classes(tmp_path):
    make_folder(tmp_path / 'train', {'dog': 3, 'cat': 2})
    # A nested image, a non-image file, a hidden folder and a hidden file.
    write_image(tmp_path / 'train/dog/more/deep.jpg')
    (tmp_path / 'train/dog/notes.txt').write_text('not an image')
    write_image(tmp_path / 'train/.cache/x.png')
    write_image(tmp_path / 'train/cat/.hidden.png')

    dataset = CustomDataset(data_root=str(tmp_path), data_prefix='train')
    assert dataset.metainfo['classes'] == ('cat', 'dog')
    assert dataset.CLASSES == ('cat', 'dog')
    assert dataset.class_to_idx == {'cat': 0, 'dog': 1}
    assert len(dataset) == 6
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    assert [osp.relpath(p, tmp_path / 'train') for p in paths] == [
        'cat/000.png', 'cat/001.png', 'dog/000.png', 'dog/001.png', 'dog/002.png',
        'dog/more/deep.jpg'
    ]
    assert all(osp.isfile(p) for p in paths)
    assert dataset.get_gt_labels().tolist() == [0, 0, 1, 1, 1, 1]
    assert dataset.get_cat_ids(3) == [1]
    assert 'Number of samples: \t6' in repr(dataset)


def test_folder_mode_with_given_classes_orders_and_selects(tmp_path):
    make_folder(tmp_path, {'a': 1, 'b': 2, 'c': 1})
    dataset = CustomDataset(data_root=str(tmp_path), classes=['c', 'a'])
    assert dataset.metainfo['classes'] == ('c', 'a')
    labels = {
        osp.basename(osp.dirname(d['img_path'])): d['gt_label']
        for d in (dataset.get_data_info(i) for i in range(len(dataset)))
    }
    assert labels == {'c': 0, 'a': 1}


def test_ann_file_mode(tmp_path):
    make_folder(tmp_path / 'images', {'x': 2, 'y': 2})
    (tmp_path / 'ann.txt').write_text('x/000.png 1\n\ny/001.png 0\nx/001.png 1\n')
    dataset = CustomDataset(
        data_root=str(tmp_path),
        data_prefix=dict(img_path='images'),
        ann_file='ann.txt',
        classes=('first', 'second'))
    assert len(dataset) == 3
    assert dataset.metainfo['classes'] == ('first', 'second')
    info = dataset.get_data_info(1)
    assert info['img_path'] == osp.join(str(tmp_path / 'images'), 'y/001.png')
    assert dataset.get_gt_labels().tolist() == [1, 0, 1]

    # Without class names the classes are the indices up to the largest label.
    unnamed = CustomDataset(data_root=str(tmp_path), data_prefix='images', ann_file='ann.txt')
    assert unnamed.metainfo['classes'] == ('0', '1')


def test_registry_build_and_digits_pipeline(tmp_path):
    """The lead's digits pipeline: grayscale PNG -> Resize (32, 32) -> (1, 32, 32) uint8."""
    make_folder(tmp_path / 'train', {str(d): 2 for d in range(3)}, gray=True)
    dataset = DATASETS.build(
        dict(
            type='CustomDataset',
            data_root=str(tmp_path),
            data_prefix='train',
            pipeline=[
                dict(type='LoadImageFromFile', color_type='grayscale'),
                dict(type='Resize', scale=(32, 32)),
                dict(type='PackClsInputs')
            ]))
    assert isinstance(dataset, CustomDataset)
    sample = dataset[3]
    assert sample['inputs'].shape == (1, 32, 32)
    assert sample['inputs'].dtype == torch.uint8
    data_sample = sample['data_samples']
    assert data_sample.gt_label.tolist() == [1]
    assert data_sample.ori_shape == (16, 16)
    assert data_sample.img_shape == (32, 32)
    assert data_sample.img_path.endswith('1/001.png')


def _split(tmp_path, split, seed=0, val_ratio=0.2):
    dataset = CustomDataset(
        data_root=str(tmp_path), split=split, val_ratio=val_ratio, split_seed=seed)
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def test_split_is_disjoint_complete_stratified_and_reproducible(tmp_path):
    counts = {'a': 10, 'b': 5, 'c': 7, 'd': 1}
    make_folder(tmp_path, counts)
    everything = {d['img_path'] for d in _split(tmp_path, None)}
    train = _split(tmp_path, 'train')
    val = _split(tmp_path, 'val')
    train_paths, val_paths = {d['img_path'] for d in train}, {d['img_path'] for d in val}
    assert not train_paths & val_paths
    assert train_paths | val_paths == everything
    assert len(train) + len(val) == len(everything)

    # Stratified: round(20 %) of each class in val, at least one if the class has two images,
    # none for a single-image class.
    val_per_class = np.bincount([d['gt_label'] for d in val], minlength=4).tolist()
    assert val_per_class == [2, 1, 1, 0]
    # Both sides keep the class names of the whole folder.
    assert CustomDataset(
        data_root=str(tmp_path), split='val').metainfo['classes'] == ('a', 'b', 'c', 'd')

    # Same seed, same split; another seed, another split.
    assert _split(tmp_path, 'val') == val
    assert {d['img_path'] for d in _split(tmp_path, 'val', seed=1)} != val_paths


def test_stratified_split_ignores_listing_order_and_is_pinned():
    keys = [f'img{i:02d}.png' for i in range(12)]
    labels = [i % 2 for i in range(12)]
    train, val = stratified_split(keys, labels, 0.25, seed=0)
    order = list(range(12))
    random.Random(3).shuffle(order)
    shuffled_train, shuffled_val = stratified_split([keys[i] for i in order],
                                                    [labels[i] for i in order],
                                                    0.25,
                                                    seed=0)
    assert sorted(keys[order[i]] for i in shuffled_val) == sorted(keys[i] for i in val)
    assert sorted(keys[order[i]] for i in shuffled_train) == sorted(keys[i] for i in train)
    # Pinned: numpy's PCG64 permutation is the same on every platform and numpy version.
    assert val == [4, 6, 9, 11]
    assert sorted(train + val) == list(range(12))


@pytest.mark.parametrize('val_ratio', [0, 1, 1.5, -0.2, '0.2'])
def test_bad_val_ratio(tmp_path, val_ratio):
    make_folder(tmp_path, {'a': 2})
    with pytest.raises(ValueError, match=f'val_ratio.*{val_ratio!r}'):
        CustomDataset(data_root=str(tmp_path), split='train', val_ratio=val_ratio)


def test_bad_split_name(tmp_path):
    with pytest.raises(ValueError, match="split must be None, 'train' or 'val', got 'test'"):
        CustomDataset(data_root=str(tmp_path), split='test')


def test_missing_folder_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'{tmp_path}/nowhere/train'):
        CustomDataset(data_root=str(tmp_path / 'nowhere'), data_prefix='train')


def test_empty_class_folder_names_folder(tmp_path):
    make_folder(tmp_path, {'full': 2})
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty/readme.txt').write_text('no images here')
    with pytest.raises(ValueError, match=f"class folder '{tmp_path}/empty' holds no images"):
        CustomDataset(data_root=str(tmp_path))


def test_no_images_at_all(tmp_path):
    (tmp_path / 'loose.png').write_bytes(b'')
    with pytest.raises(ValueError, match=f"no class sub-folders in '{tmp_path}"):
        CustomDataset(data_root=str(tmp_path))
    (tmp_path / 'ann.txt').write_text('\n\n')
    with pytest.raises(ValueError, match=f"no images in '{tmp_path}/ann.txt'"):
        CustomDataset(data_root=str(tmp_path), ann_file='ann.txt')


def test_missing_class_folder_of_given_classes(tmp_path):
    make_folder(tmp_path, {'a': 1})
    with pytest.raises(FileNotFoundError, match=r"class folders not found in .*\['b'\]"):
        CustomDataset(data_root=str(tmp_path), classes=['a', 'b'])


@pytest.mark.parametrize('content, line, message', [
    ('a/000.png 0\na/001.png\n', 2, 'expected "<relative/path> <label index>", got 1 fields'),
    ('a/000.png 0 extra\n', 1, 'expected "<relative/path> <label index>", got 3 fields'),
    ('a/000.png 0\n\na/001.png 2\n', 3, r'label 2 is out of range \(0..1\)'),
    ('a/000.png -1\n', 1, r'label -1 is out of range'),
    ('a/000.png cat\n', 1, "the label must be an integer index, got 'cat'"),
])
def test_bad_ann_file_lines_name_file_and_line(tmp_path, content, line, message):
    make_folder(tmp_path, {'a': 2})
    (tmp_path / 'ann.txt').write_text(content)
    with pytest.raises(ValueError, match=f'{tmp_path}/ann.txt, line {line}: {message}'):
        CustomDataset(data_root=str(tmp_path), ann_file='ann.txt', classes=['a', 'b'])


def test_missing_ann_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"annotation file not found: '{tmp_path}/x.txt'"):
        CustomDataset(data_root=str(tmp_path), ann_file='x.txt')


def test_bad_classes_and_prefix(tmp_path):
    with pytest.raises(ValueError, match='duplicate'):
        CustomDataset(data_root=str(tmp_path), classes=['a', 'a'])
    with pytest.raises(TypeError, match='sequence of names'):
        CustomDataset(data_root=str(tmp_path), classes='ab')
    with pytest.raises(ValueError, match='data_prefix must be a path or dict'):
        CustomDataset(data_root=str(tmp_path), data_prefix=dict(img='x'))
