import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from zoo.utils.atomic_local_backend import AtomicLocalBackend
from zoo.utils.checkpoint import (CheckpointMismatchError, DamagedCheckpointError,
                                  UnsafeCheckpointError, check_checkpoint_fits,
                                  from_plain_checkpoint, to_plain_checkpoint)


def runner_like_checkpoint():
    buffer = HistoryBuffer()
    for value in (0.5, 0.25, 0.125):
        buffer.update(value)
    return {
        'meta':
        dict(epoch=1, iter=30, seed=np.int64(7), cfg='model = dict()'),
        'state_dict':
        OrderedDict(weight=torch.ones(2, 2)),
        'message_hub':
        dict(
            log_scalars=OrderedDict({'train/loss': buffer}),
            runtime_info=dict(iter=30, scores=np.arange(3, dtype=np.float32)),
            resumed_keys={'train/loss': True}),
    }


def test_plain_checkpoint_loads_weights_only_and_round_trips(tmp_path):
    checkpoint = runner_like_checkpoint()
    # What MMEngine 0.10.7 writes cannot be read back by torch >= 2.6's default load ...
    stock = tmp_path / 'stock.pth'
    torch.save(checkpoint, stock)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(stock, weights_only=True)
    # ... the plain version can, and converts back to the same objects.
    to_plain_checkpoint(checkpoint)
    path = tmp_path / 'plain.pth'
    torch.save(checkpoint, path)
    loaded = torch.load(path, weights_only=True)
    from_plain_checkpoint(loaded)

    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    np.testing.assert_array_equal(buffer.data[0], [0.5, 0.25, 0.125])
    assert buffer.mean() == pytest.approx(0.875 / 3)
    scores = loaded['message_hub']['runtime_info']['scores']
    assert isinstance(scores, np.ndarray) and scores.dtype == np.float32
    assert loaded['meta']['seed'] == 7 and isinstance(loaded['meta']['seed'], np.int64)
    assert isinstance(loaded['state_dict'], OrderedDict)


def test_unknown_object_is_named_at_save_time():
    checkpoint = {'meta': {'callback': lambda: None}}
    with pytest.raises(TypeError, match=r"checkpoint\['meta'\]\['callback'\] is a .*function"):
        to_plain_checkpoint(checkpoint)


class RunsCode:

    def __reduce__(self):
        return (os.system, ('touch pwned', ))


def test_code_running_checkpoint_is_refused_not_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': RunsCode()}, path)
    with pytest.raises(UnsafeCheckpointError, match='refused to load checkpoint .*evil.pth'):
        CheckpointLoader.load_checkpoint(str(path))  # the loader MMEngine's Runner uses
    assert not (tmp_path / 'pwned').exists()


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'nowhere.pth'))


def damaged(tmp_path, kind: str):
    path = tmp_path / f'{kind}.pth'
    torch.save({'state_dict': {'weight': torch.ones(1000)}}, path)
    data = path.read_bytes()
    pickled = pickle.dumps({'weight': [1.0] * 100}, protocol=2)
    path.write_bytes(
        dict(
            random=b'\x00' + bytes(range(256)) * 20,
            empty=b'',
            truncated=data[:len(data) // 2],
            truncated_pickle=pickled[:50])[kind])
    return path


@pytest.mark.parametrize('kind, says', [
    ('random', 'is not a PyTorch checkpoint: neither a zip archive (torch.save) nor a pickle'),
    ('empty', 'is empty (0 bytes): its save never completed'),
    ('truncated', 'is truncated ('),
    ('truncated_pickle', 'is truncated: its pickle ends early'),
])
def test_damaged_checkpoint_is_named_and_never_called_unsafe(tmp_path, kind, says):
    path = damaged(tmp_path, kind)
    with pytest.raises(DamagedCheckpointError) as error:
        CheckpointLoader.load_checkpoint(str(path))
    message = str(error.value)
    assert message.startswith(f'checkpoint {path} ') and says in message
    assert 'weights_only' not in message and 'run code' not in message


class TwoLayers(torch.nn.Module):

    def __init__(self, classes: int = 3):
        super().__init__()
        self.backbone = torch.nn.Linear(4, 8)
        self.head = torch.nn.Linear(8, classes)


def test_checkpoint_of_another_class_count_is_refused_naming_the_keys():
    checkpoint = {'state_dict': TwoLayers(3).state_dict()}
    with pytest.raises(CheckpointMismatchError) as error:
        check_checkpoint_fits(TwoLayers(4), checkpoint, 'a.pth', resuming=True)
    assert str(error.value).startswith('cannot resume from checkpoint a.pth')
    assert 'head.weight (checkpoint (3, 8), model (4, 8))' in str(error.value)
    assert 'head.bias (checkpoint (3,), model (4,))' in str(error.value)
    with pytest.raises(CheckpointMismatchError, match='set load_from_strict = False'):
        check_checkpoint_fits(TwoLayers(4), checkpoint, 'a.pth', strict=True)
    check_checkpoint_fits(TwoLayers(4), checkpoint, 'a.pth', strict=False)  # a fine-tune


def test_checkpoint_of_which_nothing_fits_is_refused_even_leniently():
    other = {'state_dict': {'conv.weight': torch.ones(2, 2), 'fc.bias': torch.ones(2)}}
    with pytest.raises(
            CheckpointMismatchError,
            match=r'none of its tensors fit \(0 of the '
            r"model's 4 tensors fit; 4 tensors of the model are not in it"):
        check_checkpoint_fits(TwoLayers(), other, 'other.pth', strict=False)


def test_wrapped_model_prefix_is_ignored():
    state = {f'module.{k}': v for k, v in TwoLayers().state_dict().items()}
    check_checkpoint_fits(TwoLayers(), {'state_dict': state}, 'ddp.pth')


def test_atomic_backend_keeps_old_file_when_writing_fails(tmp_path):
    backend = get_file_backend(backend_args=dict(backend='zoo_atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    target = tmp_path / 'epoch_1.pth'
    backend.put(b'complete', target)

    with pytest.raises(TypeError):
        backend.put(object(), target)  # fails mid-write
    assert target.read_bytes() == b'complete'
    assert [p.name for p in tmp_path.iterdir()] == ['epoch_1.pth']  # no temporary left behind


def put_in_hub_cache(tmp_path, monkeypatch, name: str, obj) -> str:
    """Place ``obj`` where torch.hub caches torchvision's ``name`` weights; no download."""
    from mmengine.runner.checkpoint import get_torchvision_models
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    url = get_torchvision_models()[name]
    cached = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / url.rsplit('/', 1)[1]
    cached.parent.mkdir(parents=True)
    torch.save(obj, cached)
    return url


def test_torchvision_scheme_loads_weights_only_from_the_hub_cache(tmp_path, monkeypatch):
    weights = {'fc.weight': torch.ones(2, 2)}
    put_in_hub_cache(tmp_path, monkeypatch, 'resnet18', weights)
    loaded = CheckpointLoader.load_checkpoint('torchvision://resnet18')
    torch.testing.assert_close(loaded['fc.weight'], weights['fc.weight'])


def test_downloaded_checkpoint_that_runs_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = put_in_hub_cache(tmp_path, monkeypatch, 'resnet18', {'payload': RunsCode()})
    for source in ('torchvision://resnet18', url):
        with pytest.raises(UnsafeCheckpointError, match='refused to load checkpoint'):
            CheckpointLoader.load_checkpoint(source)
    assert not (tmp_path / 'pwned').exists()
