import os
import pickle

import numpy as np
import pytest
import torch

from zoo.datasets import CIFAR10, UnsafePickleError, load_cifar_batch
from zoo.registry import DATASETS

CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']


def write_cifar(root, per_batch=4, protocol=2, seed=0):
    """Batches in the published layout: ``data`` (N, 3072) uint8 rows of planar RGB."""
    rng = np.random.default_rng(seed)
    written = {}
    for name in [
            'data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5',
            'test_batch'
    ]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, per_batch)]
        batch = {
            b'batch_label': name.encode(),
            b'labels': labels,
            b'data': data,
            b'filenames': [f'{name}_{i}.png'.encode() for i in range(per_batch)]
        }
        with open(root / name, 'wb') as f:
            pickle.dump(batch, f, protocol=protocol)
        written[name] = (data, labels)
    meta = {'num_cases_per_batch': per_batch, 'label_names': CLASSES, 'num_vis': 3072}
    with open(root / 'batches.meta', 'wb') as f:
        pickle.dump(meta, f, protocol=protocol)
    return written


@pytest.mark.parametrize('protocol', [2, pickle.HIGHEST_PROTOCOL])
def test_reads_batches_as_rgb_hwc_as_mmpretrain(tmp_path, protocol):
    written = write_cifar(tmp_path, protocol=protocol)
    train = CIFAR10(data_root=str(tmp_path), split='train')
    test = CIFAR10(data_root=str(tmp_path), split='test')
    assert len(train) == 20 and len(test) == 4
    assert train.metainfo['classes'] == tuple(CLASSES)

    data, labels = written['data_batch_2']
    sample = train.get_data_info(4 + 1)  # second image of the second batch
    img = sample['img']
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and img.flags.c_contiguous
    # mmpretrain's order: the batch's planes red, green, blue become channels 0, 1, 2
    planar_rgb = data[1].reshape(3, 32, 32)
    np.testing.assert_array_equal(img, planar_rgb.transpose(1, 2, 0))
    assert img[3, 7, 1] == data[1][1024 + 3 * 32 + 7]
    assert sample['gt_label'] == labels[1]
    all_train_labels = sum((written[f'data_batch_{i}'][1] for i in range(1, 6)), [])
    assert train.get_gt_labels().tolist() == all_train_labels
    assert test.get_gt_labels().tolist() == written['test_batch'][1]


def test_bgr_channel_order_as_photos_load(tmp_path):
    written = write_cifar(tmp_path)
    bgr = CIFAR10(data_root=str(tmp_path), split='test', channel_order='bgr')
    img = bgr.get_data_info(0)['img']
    planar_rgb = written['test_batch'][0][0].reshape(3, 32, 32)
    np.testing.assert_array_equal(img[..., 0], planar_rgb[2])  # blue first, as mmcv.imread
    np.testing.assert_array_equal(img[..., 2], planar_rgb[0])
    assert img.flags.c_contiguous
    with pytest.raises(ValueError, match="CIFAR10: channel_order must be 'rgb' or 'bgr'"):
        CIFAR10(data_root=str(tmp_path), channel_order='RGBA')


def test_zoo_configs_normalise_the_order_their_data_set_gives():
    """zoo's CIFAR configs flip BGR to RGB; mmpretrain's recipes read RGB and flip nothing."""
    from mmengine.config import Config

    from tests.conftest import REPO_ROOT
    cfg = Config.fromfile(REPO_ROOT / 'configs' / 'resnet' / 'resnet18_8xb16_cifar10.py')
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.channel_order == 'bgr'
    assert cfg.data_preprocessor.to_rgb is True


def test_pipeline_without_loading(tmp_path):
    write_cifar(tmp_path)
    dataset = DATASETS.build(
        dict(
            type='CIFAR10',
            data_root=str(tmp_path),
            split='test',
            pipeline=[dict(type='RandomFlip', prob=0.5),
                      dict(type='PackClsInputs')]))
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 32, 32)
    assert sample['inputs'].dtype == torch.uint8
    assert sample['data_samples'].gt_label.shape == (1, )


def test_missing_file_says_where_to_get_it(tmp_path):
    write_cifar(tmp_path)
    os.remove(tmp_path / 'data_batch_3')
    CIFAR10(data_root=str(tmp_path), split='test')  # the test split does not need it
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(data_root=str(tmp_path), split='train')
    message = str(info.value)
    assert f"'{tmp_path}/data_batch_3'" in message
    assert 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz' in message
    assert f'-C {tmp_path}' in message


class _RunsCode:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_pickle_that_runs_code_is_refused(tmp_path):
    write_cifar(tmp_path)
    marker = tmp_path / 'pwned'
    with open(tmp_path / 'test_batch', 'wb') as f:
        pickle.dump({'data': _RunsCode(marker), 'labels': []}, f, protocol=2)
    with pytest.raises(UnsafePickleError, match=r'test_batch: refusing to load (posix|os)\.system'):
        CIFAR10(data_root=str(tmp_path), split='test')
    assert not marker.exists()
    # The same file does run code with the plain unpickler: the test guards something real.
    with open(tmp_path / 'test_batch', 'rb') as f:
        pickle.load(f)
    assert marker.exists()


def test_builtins_eval_is_refused(tmp_path):
    path = tmp_path / 'batch'
    # GLOBAL builtins.eval, then call it: a classic pickle payload.
    path.write_bytes(b"cbuiltins\neval\n(V1+1\ntR.")
    with pytest.raises(UnsafePickleError, match='refusing to load builtins.eval'):
        load_cifar_batch(str(path))


def test_malformed_batch_and_bad_split(tmp_path):
    write_cifar(tmp_path)
    with open(tmp_path / 'test_batch', 'wb') as f:
        pickle.dump({'data': np.zeros((2, 10), np.uint8), 'labels': [0, 1]}, f)
    with pytest.raises(ValueError, match='test_batch is not a CIFAR-10 batch'):
        CIFAR10(data_root=str(tmp_path), split='test')
    (tmp_path / 'test_batch').write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match='test_batch is not a CIFAR python batch'):
        CIFAR10(data_root=str(tmp_path), split='test')
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        CIFAR10(data_root=str(tmp_path), split='val')
