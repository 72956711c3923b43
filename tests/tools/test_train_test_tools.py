"""End to end: the real tools/train.py and tools/test.py on real files, as a user runs them."""
import os
import pickle
import re
import textwrap
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO_ROOT, make_image_folder, run_tool
from zoo.utils.last_checkpoint import read_last_checkpoint

pytestmark = pytest.mark.slow


def write_config(tmp_path: Path,
                 data_root: Path,
                 num_classes: int = 3,
                 max_epochs: int = 2,
                 name: str = 'resnet18_1xb4_tiny.py') -> Path:
    """A ResNet-18 config on a folder split 2:1 into train and val by the dataset itself."""
    base = REPO_ROOT / 'configs' / '_base_'
    config = tmp_path / name
    config.write_text(
        textwrap.dedent(f'''
        _base_ = [{str(base / 'models' / 'resnet18.py')!r},
                  {str(base / 'default_runtime.py')!r}]
        model = dict(head=dict(num_classes={num_classes}, topk=(1, )))
        data_preprocessor = dict(mean=[128.0] * 3, std=[64.0] * 3, to_rgb=True)
        pipeline = [dict(type='LoadImageFromFile'), dict(type='PackClsInputs')]
        dataset = dict(type='CustomDataset', data_root={str(data_root)!r}, val_ratio=1 / 3,
                       split_seed=0, pipeline=pipeline)
        train_dataloader = dict(batch_size=4, num_workers=0,
                                sampler=dict(type='DefaultSampler', shuffle=True),
                                dataset=dict(dataset, split='train'))
        val_dataloader = dict(batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              dataset=dict(dataset, split='val'))
        val_evaluator = dict(type='Accuracy', topk=(1, ))
        test_dataloader = val_dataloader
        test_evaluator = val_evaluator
        optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                            weight_decay=1e-4))
        # an explicit end: a run stopped early must not shorten the schedule it resumes
        param_scheduler = dict(type='MultiStepLR', by_epoch=True, begin=0, end=2,
                               milestones=[1], gamma=0.1)
        train_cfg = dict(by_epoch=True, max_epochs={max_epochs}, val_interval=1)
        val_cfg = dict()
        test_cfg = dict()
        default_hooks = dict(logger=dict(interval=1))
        randomness = dict(seed=0, deterministic=True)
    '''))
    return config


def final_weights(work_dir: Path) -> dict:
    checkpoint = read_last_checkpoint(str(work_dir))
    return torch.load(checkpoint, weights_only=True)['state_dict']


def test_train_then_test_with_dumped_predictions(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder)
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(config), '--work-dir', str(work_dir))

    assert (work_dir / 'last_checkpoint').read_text() == 'epoch_2.pth'  # relative to work_dir
    checkpoint = work_dir / 'epoch_2.pth'
    # written as plain data: torch's safe loader reads it without extra globals
    assert set(torch.load(checkpoint, weights_only=True)) >= {
        'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'
    }

    out = tmp_path / 'predictions.pkl'
    result = run_tool('tools/test.py', str(config), str(checkpoint), '--work-dir', str(work_dir),
                      '--out', str(out))
    assert 'accuracy/top1:' in result.stdout
    assert re.search(r'6/6, .*ETA:\s*0s\n', result.stderr)  # the bar over the test images
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 6  # a third of 18 images
    for prediction in predictions:
        assert prediction['pred_score'].shape == (3, )
        assert prediction['pred_label'].item() == prediction['pred_score'].argmax().item()
        assert Path(prediction['img_path']).is_file()
        assert 'gt_label' in prediction


def test_resume_continues_exactly_where_the_checkpoint_left(tmp_path, image_folder):
    """Two epochs straight == one epoch, a stop, then --resume for the second."""
    config = write_config(tmp_path, image_folder)
    straight, stopped = tmp_path / 'straight', tmp_path / 'stopped'
    run_tool('tools/train.py', str(config), '--work-dir', str(straight))
    run_tool('tools/train.py', str(config), '--work-dir', str(stopped), '--cfg-options',
             'train_cfg.max_epochs=1')
    result = run_tool('tools/train.py', str(config), '--work-dir', str(stopped), '--resume')
    assert 'resumed epoch: 1' in result.stdout + result.stderr

    expected, resumed = final_weights(straight), final_weights(stopped)
    assert expected.keys() == resumed.keys()
    for key in expected:
        torch.testing.assert_close(resumed[key], expected[key], rtol=0, atol=0, msg=key)


def test_resume_from_an_explicit_path_in_another_work_dir(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder)
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(config), '--work-dir', str(work_dir))
    result = run_tool('tools/train.py', str(config), '--work-dir', str(tmp_path / 'again'),
                      '--resume', str(work_dir / 'epoch_1.pth'))
    assert 'resumed epoch: 1' in result.stdout + result.stderr

    expected, resumed = final_weights(work_dir), final_weights(tmp_path / 'again')
    for key in expected:
        torch.testing.assert_close(resumed[key], expected[key], rtol=0, atol=0, msg=key)


def test_amp_trains_on_this_device(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder, max_epochs=1)
    result = run_tool('tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'), '--amp')
    wrapper = ('AmpOptimWrapper' if torch.cuda.is_available() else 'zoo.BF16AutocastOptimWrapper')
    assert f"type='{wrapper}'" in result.stdout + result.stderr  # the config the run logged
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()


def test_distributed_launch_on_cpu(tmp_path, image_folder):
    """tools/dist_train.sh's torchrun launch, two processes, on a machine without CUDA."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    config = write_config(tmp_path, image_folder, max_epochs=1)
    result = run_tool('-m', 'torch.distributed.run', '--nproc_per_node=2',
                      f'--master_port={port}', 'tools/train.py', str(config), '--work-dir',
                      str(tmp_path / 'w'), '--launcher', 'pytorch')
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # MMEngine's name for the world size
    assert "model_wrapper_cfg = dict(device_ids=None, type='MMDistributedDataParallel')" in log
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()


# ---------------------------------------------------------------- bad input
def failing_run(*args) -> str:
    result = run_tool(*args, check=False)
    assert result.returncode != 0, result.stdout[-2000:]
    return result.stdout + result.stderr


def test_unknown_type_is_named(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder)
    output = failing_run('tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'),
                         '--cfg-options', 'model.backbone.type=ResNot')
    assert 'ResNot is not in the zoo::model registry' in output


def test_missing_data_folder_is_named(tmp_path):
    missing = tmp_path / 'no_such_folder'
    config = write_config(tmp_path, missing)
    output = failing_run('tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'))
    assert 'FileNotFoundError' in output and str(missing) in output


def test_undecodable_image_is_named(tmp_path):
    data_root = make_image_folder(tmp_path / 'images')
    broken = data_root / 'class_1' / '002.png'
    broken.write_bytes(b'this is not a png')
    config = write_config(tmp_path, data_root)
    output = failing_run('tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'))
    assert str(broken) in output


@pytest.fixture
def trained_checkpoint(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder, max_epochs=1)
    run_tool('tools/train.py', str(config), '--work-dir', str(tmp_path / 'work'))
    return tmp_path / 'work' / 'epoch_1.pth'


def test_checkpoint_of_another_model_is_refused_with_keys(tmp_path, image_folder,
                                                          trained_checkpoint):
    other = write_config(tmp_path, image_folder, num_classes=4, name='four_classes.py')
    output = failing_run('tools/test.py', str(other), str(trained_checkpoint))
    assert f'checkpoint {trained_checkpoint} does not match the model' in output
    assert 'head.fc.weight' in output


def test_code_running_checkpoint_is_refused(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder)
    evil = tmp_path / 'evil.pth'
    marker = tmp_path / 'pwned'
    evil.write_bytes(pickle.dumps({'state_dict': _RunsCode(str(marker))}))
    output = failing_run('tools/test.py', str(config), str(evil))
    assert f'refused to load checkpoint {evil}' in output
    assert not marker.exists()


def test_damaged_checkpoint_is_named(tmp_path, image_folder):
    config = write_config(tmp_path, image_folder)
    damaged = tmp_path / 'random.pth'
    damaged.write_bytes(b'\x00' + os.urandom(4095))
    output = failing_run('tools/test.py', str(config), str(damaged))
    assert f'checkpoint {damaged} is not a PyTorch checkpoint' in output
    assert 'weights_only=False' not in output


@pytest.mark.parametrize('option, says', [
    ('train_cgf.max_epochs=1', "the config has no key 'train_cgf'"),
    ('train_cfg.max_epochs=ten', 'train_cfg.max_epochs must be an int'),
    ('default_hooks.checkpoint.intervall=1', "SafeCheckpointHook has no argument 'intervall'"),
])
def test_config_mistake_stops_train_before_anything_runs(tmp_path, image_folder, option, says):
    config = write_config(tmp_path, image_folder)
    output = failing_run('tools/train.py', str(config), '--work-dir', str(tmp_path / 'w'),
                         '--cfg-options', option)
    assert says in output
    assert not (tmp_path / 'w').exists()  # nothing built, nothing written


class _RunsCode:

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))
