import shutil

import pytest
import torch

from zoo.utils.last_checkpoint import (find_resume_checkpoint, read_last_checkpoint,
                                       write_last_checkpoint)


@pytest.fixture
def work_dir(tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    for epoch in (1, 2):
        torch.save({'meta': dict(epoch=epoch)}, work_dir / f'epoch_{epoch}.pth')
    return work_dir


def test_last_checkpoint_is_relative_so_a_copied_work_dir_resumes_from_its_own(tmp_path, work_dir):
    write_last_checkpoint(str(work_dir), str(work_dir / 'epoch_2.pth'))
    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_2.pth'
    copy = tmp_path / 'copy'
    shutil.copytree(work_dir, copy)
    shutil.rmtree(work_dir)
    assert find_resume_checkpoint(str(copy))[0] == str(copy / 'epoch_2.pth')


def test_mmengine_absolute_form_is_read(work_dir):
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    assert read_last_checkpoint(str(work_dir)) == str(work_dir / 'epoch_1.pth')
    checkpoint, message = find_resume_checkpoint(str(work_dir))
    assert checkpoint == str(work_dir / 'epoch_1.pth') and 'named by' in message


@pytest.mark.parametrize('content, problem', [
    (None, 'last_checkpoint does not exist'),
    ('', 'last_checkpoint is empty'),
    ('epoch_9.pth', 'epoch_9.pth, which does not exist'),
    ('damaged.pth', 'damaged.pth, which is not a complete checkpoint'),
])
def test_broken_last_checkpoint_falls_back_to_the_newest_complete(work_dir, content, problem):
    data = (work_dir / 'epoch_2.pth').read_bytes()
    (work_dir / 'damaged.pth').write_bytes(data[:len(data) // 2])
    (work_dir / 'epoch_3.pth').write_bytes(data[:len(data) // 2])  # newer, but truncated
    if content is not None:
        (work_dir / 'last_checkpoint').write_text(content)
    checkpoint, message = find_resume_checkpoint(str(work_dir))
    assert checkpoint == str(work_dir / 'epoch_2.pth')
    assert problem in message
    assert f'resuming from the newest complete checkpoint, {work_dir / "epoch_2.pth"}' in message


def test_no_checkpoint_says_training_starts_from_scratch(tmp_path):
    checkpoint, message = find_resume_checkpoint(str(tmp_path))
    assert checkpoint is None
    assert message.endswith(f'{tmp_path} holds no checkpoint: training starts from scratch')
