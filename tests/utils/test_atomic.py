import os
import stat

import pytest
import torch
from mmengine.fileio import get_file_backend

from zoo.utils.atomic import atomic_output_dir, atomic_write_text, remove_stale_temporaries
from zoo.utils.atomic_local_backend import AtomicLocalBackend


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize('umask', [0o022, 0o002, 0o077])
def test_checkpoints_follow_the_umask_as_torch_save_does(tmp_path, umask):
    backend = get_file_backend(backend_args=dict(backend='zoo_atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)  # the backend SafeCheckpointHook saves with
    old = os.umask(umask)
    try:
        backend.put(b'checkpoint bytes', tmp_path / 'epoch_1.pth')
        torch.save({}, tmp_path / 'torch.pth')
    finally:
        os.umask(old)
    assert mode(tmp_path / 'epoch_1.pth') == mode(tmp_path / 'torch.pth') == 0o666 & ~umask


def test_only_zoo_temporaries_are_removed(tmp_path):
    atomic_write_text('x', tmp_path / 'kept.txt')  # leaves no temporary behind
    zoo_leftovers = ['.tmp-zoo-k2j4_9ab-epoch_2.pth', '.tmp-zoo-abcdefgh-last_checkpoint']
    others = [
        '.tmp-abcdefghepoch_2.pth', '.tmp-notes', 'epoch_1.pth', '.tmp-zoo-short-x',
        'a.tmp-zoo-abcdefgh-x'
    ]
    for name in zoo_leftovers + others:
        (tmp_path / name).write_text('x')
    (tmp_path / '.tmp-zoo-abcdefgh-folder').mkdir()  # a folder is never a leftover file

    removed = remove_stale_temporaries(tmp_path)
    assert sorted(os.path.basename(p) for p in removed) == sorted(zoo_leftovers)
    assert sorted(p.name
                  for p in tmp_path.iterdir()) == sorted(others +
                                                         ['kept.txt', '.tmp-zoo-abcdefgh-folder'])


def test_failed_output_dir_leaves_nothing(tmp_path):
    out = tmp_path / 'dataset'
    with pytest.raises(RuntimeError, match='half-way'):
        with atomic_output_dir(out) as tmp:
            (tmp_path / 'dataset.incomplete' / 'a.txt').write_text('partial')
            assert os.path.samefile(tmp, tmp_path / 'dataset.incomplete')
            raise RuntimeError('failed half-way')
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_output_dir_replaces_an_old_one_only_when_complete(tmp_path):
    out = tmp_path / 'dataset'
    out.mkdir()
    (out / 'old.txt').write_text('old')
    with atomic_output_dir(out):
        (tmp_path / 'dataset.incomplete' / 'new.txt').write_text('new')
        assert (out / 'old.txt').exists()
    assert sorted(p.name for p in out.iterdir()) == ['new.txt']
    assert sorted(p.name for p in tmp_path.iterdir()) == ['dataset']
