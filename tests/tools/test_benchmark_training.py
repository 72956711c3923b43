"""tools/analysis_tools/benchmark_training.py on LeNet-5 digits, --synthetic and on a generated
ImageFolder: the Runner loop and the plain loop both train, and the table, the ratio and its
spread are printed (no timing is checked); the plain loop's ImageFolder and transforms v2."""
import re

import pytest
import torch
from mmengine.config import Config

from tests.conftest import make_image_folder, run_tool
from zoo.analysis.training_benchmark import image_folder, v2_transform

NUMBER = r'\d+\.\d+'


def test_lenet_synthetic_prints_table_ratio_and_spread():
    out = run_tool('tools/analysis_tools/benchmark_training.py',
                   'configs/lenet/lenet5_1xb64_digits.py', '--synthetic', '--iters', '2',
                   '--rounds', '2', '--warmup', '1').stdout
    check_table(out)


def check_table(out: str) -> None:
    # images/s and page faults an iteration of each loop; the config's malloc hook holds for both
    assert re.search(rf'^\| runner \| config \| {NUMBER} \| \d+ \|$', out, re.M), out
    assert re.search(rf'^\| plain \| zoo model, plain loop \| {NUMBER} \| \d+ \|$', out, re.M), out
    assert re.search(
        r'^host malloc: fixed by the config\'s GlibcMallocHook \(mmap 33554432 B, '
        r'trim 1073741824 B\), for both loops$', out, re.M), out
    ratio = re.search(rf'^runner / plain: ({NUMBER})$', out, re.M)
    spread = re.search(
        rf'^per-round ratios: ({NUMBER})-({NUMBER}) \(spread ({NUMBER}), 2 rounds\)$', out, re.M)
    assert ratio and spread, out
    low, high, width = map(float, spread.groups())
    r = float(ratio.group(1))
    # with 2 rounds the ratio of the medians (means) is a weighted mean of the round ratios
    assert 0 < low - 1e-3 <= r <= high + 1e-3, out
    assert abs(width - (high - low)) <= 2e-3, out
    if abs(width - abs(r - 1)) > 2e-3:  # away from the rounding edge
        assert ('WARNING: runner / plain: the spread' in out) == (width > abs(r - 1)), out


def test_lenet_on_an_image_folder(tmp_path):
    make_image_folder(tmp_path / 'train', per_class=4)  # 12 PNGs of 32x32
    out = run_tool('tools/analysis_tools/benchmark_training.py',
                   'configs/lenet/lenet5_1xb64_digits.py', '--iters', '2', '--rounds', '2',
                   '--warmup', '1', '--cfg-options',
                   f'train_dataloader.dataset.data_root={tmp_path}',
                   'train_dataloader.batch_size=4').stdout
    check_table(out)


def test_plain_loop_reads_the_folder_with_the_configs_crop_and_flip(tmp_path):
    make_image_folder(tmp_path / 'train', per_class=2, size=300)
    cfg = Config.fromfile('configs/resnet/resnet50_8xb32_in1k.py')
    cfg.train_dataloader.dataset.data_root = str(tmp_path)
    dataset = image_folder(cfg)
    assert len(dataset) == 6 and dataset.classes == ['class_0', 'class_1', 'class_2']
    image, label = dataset[0]
    assert image.shape == (3, 224, 224) and image.dtype == torch.uint8 and label == 0
    kinds = [type(t).__name__ for t in dataset.transform.transforms]
    assert kinds == ['RandomResizedCrop', 'RandomHorizontalFlip']

    digits = Config.fromfile('configs/lenet/lenet5_1xb64_digits.py')
    digits.train_dataloader.dataset.data_root = str(tmp_path)
    image, _ = image_folder(digits)[0]
    assert image.shape == (1, 32, 32)  # grayscale, Resize then RandomCrop with padding
    crop = v2_transform(dict(type='RandomCrop', crop_size=32, padding=3))
    assert (crop.size, crop.padding) == ((32, 32), [3, 3, 3, 3])


def test_plain_loop_refuses_what_it_cannot_read(tmp_path):
    cfg = Config.fromfile('configs/resnet/resnet50_8xb32_in1k.py')
    cfg.train_dataloader.dataset.data_root = str(tmp_path)
    with pytest.raises(FileNotFoundError, match='does not exist; use --synthetic'):
        image_folder(cfg)
    with pytest.raises(ValueError, match='no transforms v2 counterpart'):
        v2_transform(dict(type='ColorJitter', brightness=0.4))
    cifar = Config.fromfile('configs/resnet/resnet18_8xb16_cifar10.py')
    with pytest.raises(ValueError, match='reads a CustomDataset of class sub-folders'):
        image_folder(cifar)
