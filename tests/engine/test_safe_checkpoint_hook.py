"""SafeCheckpointHook on MMEngine's real Runner: the order of a save, and checkpoints that do
not fit the model refused before anything is loaded."""
import os
from pathlib import Path

import pytest

import zoo.utils.atomic_local_backend as atomic_local_backend
import zoo.utils.last_checkpoint as last_checkpoint
from tests.engine.runner_utils import (NUM_CLASSES, assert_same, backbone_keys, state_dict,
                                       tiny_cfg, tiny_data, train)
from zoo.utils.checkpoint import CheckpointMismatchError


@pytest.fixture
def data_root(tmp_path) -> Path:
    return tiny_data(tmp_path / 'images', per_class=2)


@pytest.fixture
def writes(monkeypatch):
    """Every atomic write of a checkpoint or of last_checkpoint, with the files of its folder
    at that moment (the real write happens)."""
    seen = []

    def spy(real):

        def write(data, path):
            folder = os.path.dirname(os.path.abspath(path))
            seen.append((os.path.basename(path), sorted(os.listdir(folder))))
            return real(data, path)

        return write

    monkeypatch.setattr(atomic_local_backend, 'atomic_write_bytes',
                        spy(atomic_local_backend.atomic_write_bytes))
    monkeypatch.setattr(last_checkpoint, 'atomic_write_text',
                        spy(last_checkpoint.atomic_write_text))
    return seen


def test_old_checkpoint_is_deleted_only_after_last_checkpoint_names_the_new(
        tmp_path, data_root, writes):
    work_dir = tmp_path / 'work'
    train(
        tiny_cfg(
            work_dir,
            data_root,
            max_epochs=3,
            default_hooks=dict(checkpoint=dict(interval=1, max_keep_ckpts=1))))
    checkpoint_writes = [(name, files) for name, files in writes if name != 'vis_data']
    for epoch in (2, 3):
        (_, before_save), = [(n, f) for n, f in checkpoint_writes if n == f'epoch_{epoch}.pth']
        assert f'epoch_{epoch - 1}.pth' in before_save
        moves = [f for n, f in checkpoint_writes if n == 'last_checkpoint']
        assert any(f'epoch_{epoch}.pth' in f and f'epoch_{epoch - 1}.pth' in f for f in moves)
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_3.pth']
    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_3.pth'


def test_previous_best_is_deleted_only_after_the_new_best_is_saved(tmp_path, data_root, writes):
    work_dir = tmp_path / 'work'
    runner = train(
        tiny_cfg(
            work_dir,
            data_root,
            max_epochs=1,
            default_hooks=dict(checkpoint=dict(interval=1, save_best='acc', rule='greater'))))
    hook, = [h for h in runner.hooks if type(h).__name__ == 'SafeCheckpointHook']
    for epoch, acc in ((1, 0.5), (2, 0.7)):  # as after two validations, the second better
        runner.train_loop._epoch = epoch
        hook._save_best_checkpoint(runner, dict(acc=acc))
    (_, before_new_best), = [(n, f) for n, f in writes if n == 'best_acc_epoch_2.pth']
    assert 'best_acc_epoch_1.pth' in before_new_best
    assert sorted(p.name for p in work_dir.glob('best_*.pth')) == ['best_acc_epoch_2.pth']


def test_resuming_a_checkpoint_of_another_class_count_names_the_keys(tmp_path, data_root):
    first = tmp_path / 'first'
    train(tiny_cfg(first, data_root, max_epochs=1))
    cfg = tiny_cfg(
        tmp_path / 'other',
        data_root,
        max_epochs=2,
        model=dict(head=dict(num_classes=NUM_CLASSES + 1)))
    cfg.resume, cfg.load_from = True, str(first / 'epoch_1.pth')
    with pytest.raises(CheckpointMismatchError) as error:
        train(cfg)
    assert str(error.value).startswith(f'cannot resume from checkpoint {first / "epoch_1.pth"}')
    assert 'head.fc.weight (checkpoint (3, 120), model (4, 120))' in str(error.value)
    assert 'head.fc.bias (checkpoint (3,), model (4,))' in str(error.value)


def test_load_from_another_model_is_an_error_unless_lenient(tmp_path, data_root):
    first = tmp_path / 'first'
    train(tiny_cfg(first, data_root, max_epochs=1))
    checkpoint = str(first / 'epoch_1.pth')
    four = dict(model=dict(head=dict(num_classes=NUM_CLASSES + 1)))

    cfg = tiny_cfg(tmp_path / 'strict', data_root, max_epochs=1, **four)
    cfg.load_from = checkpoint
    with pytest.raises(CheckpointMismatchError, match='set load_from_strict = False'):
        train(cfg)

    # lr 0: the parameters stay what was loaded (BN statistics move)
    cfg = tiny_cfg(
        tmp_path / 'lenient',
        data_root,
        max_epochs=1,
        optim_wrapper=dict(optimizer=dict(lr=0.0)),
        **four)
    cfg.load_from, cfg.load_from_strict = checkpoint, False
    train(cfg)
    loaded, init = state_dict(tmp_path / 'lenient' / 'epoch_1.pth'), state_dict(checkpoint)
    assert_same(loaded, init,
                [k for k in backbone_keys(init) if 'running' not in k and 'num_batches' not in k])
    assert loaded['head.fc.weight'].shape == (NUM_CLASSES + 1, 120)
