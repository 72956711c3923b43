"""The synthetic shapes generator: exact boxes, determinism, the three formats, idempotency."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from zoo.det.formats import list_files, read_split
from zoo.det.synthetic import (SHAPE_CLASSES, draw_shapes_sample, generate_shapes,
                               make_shapes_dataset)
from zoo.det.synthetic import shapes as shapes_module

TINY = dict(num_train=10, num_val=6, img_size=(96, 64), seed=3)


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory):
    out = tmp_path_factory.mktemp('data') / 'shapes'
    assert make_shapes_dataset(str(out), **TINY)['status'] == 'written'
    return out


@pytest.mark.parametrize('size', [(64, 64), (96, 64), (128, 80)])
def test_boxes_are_the_tight_boxes_of_non_touching_shapes(size):
    width, height = size
    for seed in range(12):
        sample = draw_shapes_sample(
            np.random.default_rng(seed), width, height, num_objects=(1, 5), max_iou=0.3)
        assert sample.image.shape == (height, width, 3) and sample.image.dtype == np.uint8
        assert 1 <= len(sample.labels) <= 5
        assert set(sample.labels.tolist()) <= set(range(len(SHAPE_CLASSES)))
        for box, mask in zip(sample.bboxes, sample.masks):
            ys, xs = np.nonzero(mask)
            assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        # No shape covers or touches another, so every box is tight on visible pixels.
        grown = [
            np.pad(m, 1)[:-2, 1:-1] | np.pad(m, 1)[2:, 1:-1] | np.pad(m, 1)[1:-1, :-2]
            | np.pad(m, 1)[1:-1, 2:] | m for m in sample.masks
        ]
        for i in range(len(grown)):
            for j in range(i + 1, len(grown)):
                assert not (grown[i] & sample.masks[j]).any()
        boxes = sample.bboxes
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                lt = np.maximum(boxes[i, :2], boxes[j, :2])
                rb = np.minimum(boxes[i, 2:], boxes[j, 2:])
                inter = np.prod(np.clip(rb - lt, 0, None))
                union = np.prod(boxes[i, 2:] - boxes[i, :2]) + np.prod(boxes[j, 2:] -
                                                                       boxes[j, :2]) - inter
                assert inter / union <= 0.3


def test_generation_is_deterministic_and_per_image():
    first = list(generate_shapes('train', 3, 64, seed=5))
    again = list(generate_shapes('train', 6, 64, seed=5))
    for (name_a, a), (name_b, b) in zip(first, again[:3]):
        assert name_a == name_b
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.bboxes, b.bboxes)
        np.testing.assert_array_equal(a.labels, b.labels)
    other_seed = next(generate_shapes('train', 1, 64, seed=6))[1]
    val = next(generate_shapes('val', 1, 64, seed=5))[1]
    assert not np.array_equal(other_seed.image, first[0][1].image)
    assert not np.array_equal(val.image, first[0][1].image)


def test_all_three_formats_hold_the_generated_boxes(shapes_root):
    expected = {
        name: sample
        for split in ('train', 'val')
        for name, sample in generate_shapes(split, TINY[f'num_{split}'], (96, 64), 3)
    }
    for fmt in ('coco', 'voc', 'yolo'):
        for split in ('train', 'val'):
            data = read_split(str(shapes_root / fmt), fmt, split)
            assert data.classes == SHAPE_CLASSES
            assert len(data.images) == TINY[f'num_{split}']
            for record in data.images:
                sample = expected[osp.splitext(record.file_name)[0]]
                assert (record.width, record.height) == (96, 64)
                np.testing.assert_array_equal(record.bboxes, sample.bboxes)  # exact, all formats
                np.testing.assert_array_equal(record.labels, sample.labels)
                assert not record.ignore_flags.any()
    # One image file, linked into the other layouts.
    coco_img = shapes_root / 'coco/val/val_000000.jpg'
    for other in ('voc/JPEGImages/val_000000.jpg', 'yolo/images/val/val_000000.jpg'):
        assert (shapes_root / other).read_bytes() == coco_img.read_bytes()
    manifest = json.loads((shapes_root / 'manifest.json').read_text())
    assert manifest['splits']['train']['images'] == 10
    assert sorted(manifest['files'] + ['manifest.json']) == list_files(str(shapes_root))


def test_same_seed_gives_the_same_bytes(shapes_root, tmp_path):
    copy = tmp_path / 'again'
    make_shapes_dataset(str(copy), **TINY)
    files = list_files(str(shapes_root))
    assert files == list_files(str(copy))
    for name in files:
        assert (shapes_root / name).read_bytes() == (copy / name).read_bytes(), name


def test_second_run_does_nothing_and_other_parameters_are_refused(shapes_root):
    before = {p: p.stat().st_mtime_ns for p in shapes_root.rglob('*') if p.is_file()}
    assert make_shapes_dataset(str(shapes_root), **TINY)['status'] == 'unchanged'
    assert {p: p.stat().st_mtime_ns for p in shapes_root.rglob('*') if p.is_file()} == before
    with pytest.raises(FileExistsError, match='not the complete shapes data set'):
        make_shapes_dataset(str(shapes_root), **dict(TINY, seed=4))


def test_incomplete_output_is_detected_and_force_rebuilds(tmp_path):
    out = tmp_path / 'shapes'
    make_shapes_dataset(str(out), **TINY)
    victim = out / 'yolo/labels/train/train_000004.txt'
    victim.unlink()
    with pytest.raises(FileExistsError):
        make_shapes_dataset(str(out), **TINY)
    assert make_shapes_dataset(str(out), force=True, **TINY)['status'] == 'written'
    assert victim.exists()
    assert not osp.exists(f'{out}.incomplete') and not osp.exists(f'{out}.old')


def test_interrupted_run_leaves_no_output(tmp_path, monkeypatch):
    out = tmp_path / 'shapes'
    real_imwrite = shapes_module.cv2.imwrite
    calls = []

    def imwrite_then_stop(*args, **kwargs):
        calls.append(args[0])
        if len(calls) > 5:
            raise KeyboardInterrupt
        return real_imwrite(*args, **kwargs)

    monkeypatch.setattr(shapes_module.cv2, 'imwrite', imwrite_then_stop)
    with pytest.raises(KeyboardInterrupt):
        make_shapes_dataset(str(out), **TINY)
    monkeypatch.undo()
    assert not out.exists() and not osp.exists(f'{out}.incomplete')  # nothing half-written
    assert make_shapes_dataset(str(out), **TINY)['status'] == 'written'
    assert not osp.exists(f'{out}.incomplete')


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_objects=(0, 3)), 'num_objects'),
    (dict(num_objects=(4, 2)), 'num_objects'),
    (dict(size_range=(0.5, 0.2)), 'size_range'),
    (dict(img_size=8), 'at least 16x16'),
    (dict(num_train=-1), 'num_train'),
])
def test_bad_parameters_are_named(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes_dataset(str(tmp_path / 'x'), **dict(dict(num_train=2, num_val=1), **kwargs))
    assert not os.path.exists(tmp_path / 'x')
