"""Labels never shift silently: a val/test set's classes are checked against the model's, and a
symbolic link loop in a class folder is named instead of followed for ever."""
import os
import shutil
from pathlib import Path

import pytest
from mmengine.runner import Runner

from tests.conftest import make_image_folder
from tests.engine.runner_utils import tiny_cfg, train
from zoo.datasets import CustomDataset

MODEL_CLASSES = ('class_0', 'class_1', 'class_2')


def folder_without(tmp_path: Path, *dropped: str, name: str = 'val') -> Path:
    root = make_image_folder(tmp_path / name, num_classes=3, per_class=2)
    for class_name in dropped:
        shutil.rmtree(root / class_name)
    return root


def test_missing_class_folder_is_named_not_shifted(tmp_path):
    dataset = CustomDataset(data_root=str(folder_without(tmp_path, 'class_1')))
    with pytest.raises(
            ValueError,
            match=r"has other classes than the model \(training set\): "
            r"missing \['class_1'\], extra \[\]"):
        dataset.align_classes(MODEL_CLASSES, 'training set')


def test_extra_or_reordered_classes_are_errors_without_explicit_classes(tmp_path):
    dataset = CustomDataset(data_root=str(folder_without(tmp_path)))
    with pytest.raises(ValueError, match=r"missing \[\], extra \['class_2'\]"):
        dataset.align_classes(MODEL_CLASSES[:2], 'training set')
    with pytest.raises(ValueError, match='the same classes in another order'):
        dataset.align_classes(MODEL_CLASSES[::-1], 'training set')


def test_explicit_classes_map_labels_by_name(tmp_path):
    root = folder_without(tmp_path, 'class_0')
    dataset = CustomDataset(data_root=str(root), classes=['class_2', 'class_1'])
    assert sorted(set(dataset.get_gt_labels())) == [0, 1]  # its own order
    dataset.align_classes(MODEL_CLASSES, 'training set')
    assert dataset.CLASSES == MODEL_CLASSES
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert MODEL_CLASSES[info['gt_label']] == Path(info['img_path']).parent.name
    with pytest.raises(ValueError, match=r"include \['class_2'\], which the model"):
        CustomDataset(
            data_root=str(root), classes=['class_2']).align_classes(MODEL_CLASSES[:2],
                                                                    'training set')


def test_index_labels_of_an_annotation_file_adopt_the_model_names(tmp_path):
    root = folder_without(tmp_path)
    (root / 'ann.txt').write_text('class_0/000.png 0\nclass_1/000.png 1\n')
    dataset = CustomDataset(data_root=str(root), ann_file='ann.txt')
    dataset.align_classes(MODEL_CLASSES, 'training set')
    assert dataset.CLASSES == MODEL_CLASSES and list(dataset.get_gt_labels()) == [0, 1]


@pytest.mark.parametrize(
    'link, target',
    [
        ('class_0/loop', '..'),  # back to the data root, which holds class_0
        ('class_0/sub/loop', '.'),  # to the folder it lies in
        ('class_0/a/to_b', '../b'),  # a -> b -> a
    ])
def test_symlink_loop_in_a_class_folder_is_named(tmp_path, link, target):
    root = folder_without(tmp_path, name='train')
    (root / 'class_0' / 'a').mkdir()
    (root / 'class_0' / 'b').mkdir()
    os.symlink('../a', root / 'class_0' / 'b' / 'to_a')
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    if link != 'class_0/a/to_b':
        os.unlink(root / 'class_0' / 'b' / 'to_a')
    os.symlink(target, root / link)
    with pytest.raises(ValueError, match=r"symbolic link loop in class folder .*class_0'"):
        CustomDataset(data_root=str(root))


def test_symlink_elsewhere_is_followed(tmp_path):
    root = folder_without(tmp_path, name='train')
    extra = make_image_folder(tmp_path / 'extra', num_classes=1, per_class=2)
    os.symlink(extra / 'class_0', root / 'class_0' / 'more')
    assert len(CustomDataset(data_root=str(root))) == 3 * 2 + 2


def test_training_with_a_val_set_missing_a_class_fails_before_the_first_step(tmp_path):
    train_root = make_image_folder(tmp_path / 'train', num_classes=3, per_class=2)
    val_root = folder_without(tmp_path, 'class_1')
    work_dir = tmp_path / 'work'
    cfg = tiny_cfg(work_dir, train_root, max_epochs=1)
    cfg.val_dataloader = dict(
        cfg.train_dataloader, dataset=dict(cfg.train_dataloader.dataset, data_root=str(val_root)))
    cfg.val_dataloader.sampler.shuffle = False
    cfg.val_cfg, cfg.val_evaluator = dict(), dict(type='Accuracy', topk=(1, ))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r"missing \['class_1'\]"):
        runner.train()
    assert runner.iter == 0 and not list(work_dir.glob('*.pth'))


def test_testing_a_checkpoint_on_other_classes_names_its_dataset_meta(tmp_path):
    train_root = make_image_folder(tmp_path / 'train', num_classes=3, per_class=2)
    train(tiny_cfg(tmp_path / 'first', train_root, max_epochs=1))
    checkpoint = tmp_path / 'first' / 'epoch_1.pth'
    cfg = tiny_cfg(tmp_path / 'test', train_root)
    cfg.test_dataloader = dict(
        cfg.train_dataloader,
        dataset=dict(
            cfg.train_dataloader.dataset, data_root=str(folder_without(tmp_path, 'class_0'))))
    cfg.test_cfg, cfg.test_evaluator = dict(), dict(type='Accuracy', topk=(1, ))
    cfg.load_from = str(checkpoint)
    with pytest.raises(
            ValueError, match=rf"dataset_meta of checkpoint {checkpoint}\): missing "
            r"\['class_0'\]"):
        Runner.from_cfg(cfg).test()
