"""The embedded default data set: scikit-learn's digits written as an ImageFolder."""
import importlib
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from zoo.datasets import CustomDataset

SCRIPT = Path(__file__).resolve().parents[2] / 'tools/dataset_converters/digits_to_imagefolder.py'


@pytest.fixture(scope='module')
def converter():
    return importlib.import_module('tools.dataset_converters.digits_to_imagefolder')


@pytest.fixture(scope='module')
def digits_folder(converter, tmp_path_factory):
    out = tmp_path_factory.mktemp('data') / 'digits'
    assert converter.main(['--out', str(out)]) == 0
    return out


def list_pngs(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob('*.png'))


def test_writes_all_digits_with_a_stratified_split(digits_folder):
    digits = load_digits()
    files = list_pngs(digits_folder)
    assert len(files) == 1797
    assert sorted(os.listdir(digits_folder)) == ['train', 'val']
    for split in ('train', 'val'):
        assert sorted(os.listdir(digits_folder / split)) == [str(d) for d in range(10)]
    indices = {
        split: {int(Path(f).stem)
                for f in files if f.startswith(split + '/')}
        for split in ('train', 'val')
    }
    assert not indices['train'] & indices['val']
    assert indices['train'] | indices['val'] == set(range(1797))
    assert len(indices['val']) == 359
    # Each class is split 80/20 and every file sits in its digit's folder.
    for f in files:
        split, digit, name = f.split('/')
        assert digits.target[int(Path(name).stem)] == int(digit)
    per_class_val = np.bincount(digits.target[sorted(indices['val'])], minlength=10)
    per_class_all = np.bincount(digits.target, minlength=10)
    assert np.all(np.abs(per_class_val - 0.2 * per_class_all) <= 1)


def test_pixels_are_the_digits_scaled_to_8_bit(digits_folder):
    digits = load_digits()
    for index in (0, 5, 1796):
        found = list(digits_folder.glob(f'*/*/{index:04d}.png'))
        assert len(found) == 1
        img = cv2.imread(str(found[0]), cv2.IMREAD_UNCHANGED)
        assert img.shape == (8, 8) and img.dtype == np.uint8
        np.testing.assert_array_equal(img, np.round(digits.images[index] * 255 / 16))


def test_second_run_does_nothing(converter, digits_folder, capsys):
    before = {p: p.stat().st_mtime_ns for p in digits_folder.rglob('*.png')}
    assert converter.main(['--out', str(digits_folder)]) == 0
    assert 'nothing to do' in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in digits_folder.rglob('*.png')} == before


def test_digits_pipeline_gives_lenet_inputs(digits_folder):
    dataset = CustomDataset(
        data_root=str(digits_folder),
        data_prefix='val',
        pipeline=[
            dict(type='LoadImageFromFile', color_type='grayscale'),
            dict(type='Resize', scale=(32, 32)),
            dict(type='PackClsInputs')
        ])
    assert len(dataset) == 359
    assert dataset.metainfo['classes'] == tuple(str(d) for d in range(10))
    sample = dataset[0]
    assert sample['inputs'].shape == (1, 32, 32) and sample['inputs'].dtype == torch.uint8
    assert sample['data_samples'].gt_label.tolist() == [0]


def test_incomplete_output_is_detected_and_force_rebuilds(converter, tmp_path, capsys):
    out = tmp_path / 'digits'
    assert converter.main(['--out', str(out)]) == 0
    victim = next(out.glob('train/3/*.png'))
    victim.unlink()
    assert converter.main(['--out', str(out)]) == 1
    assert 'not the complete digits data set' in capsys.readouterr().err
    assert converter.main(['--out', str(out), '--force']) == 0
    assert victim.exists() and len(list_pngs(out)) == 1797
    bars = capsys.readouterr().err  # one over each split's images
    assert '1438/1438, ' in bars and '359/359, ' in bars
    assert not osp.exists(f'{out}.incomplete') and not osp.exists(f'{out}.old')


def test_interrupted_run_leaves_no_output(converter, tmp_path, monkeypatch):
    out = tmp_path / 'digits'
    real_imwrite = converter.cv2.imwrite
    calls = []

    def imwrite_then_stop(path, img):
        calls.append(path)
        if len(calls) > 100:
            raise KeyboardInterrupt
        return real_imwrite(path, img)

    monkeypatch.setattr(converter.cv2, 'imwrite', imwrite_then_stop)
    with pytest.raises(KeyboardInterrupt):
        converter.main(['--out', str(out)])
    monkeypatch.undo()
    assert not out.exists() and not osp.exists(f'{out}.incomplete')  # nothing half-written
    assert converter.main(['--out', str(out)]) == 0
    assert len(list_pngs(out)) == 1797 and not osp.exists(f'{out}.incomplete')
