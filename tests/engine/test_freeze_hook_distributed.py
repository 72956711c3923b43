"""FreezeHook under DistributedDataParallel: two processes on the gloo backend (CPU)."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from tests.conftest import REPO_ROOT
from tests.engine.runner_utils import (assert_same, backbone_keys, changed, initial_checkpoint,
                                       state_dict, tiny_cfg, tiny_data)

pytestmark = pytest.mark.slow

# mmengine 0.10.7's `init_dist` calls torch.cuda.set_device even for gloo, which fails without a
# GPU: the driver makes the process group itself and the Runner (launcher 'pytorch') uses it.
DRIVER = textwrap.dedent('''
    import sys
    import torch
    import torch.distributed as dist
    from mmengine.config import Config
    from mmengine.runner import Runner

    dist.init_process_group('gloo')
    cfg = Config.fromfile(sys.argv[1])
    runner = Runner.from_cfg(cfg)
    runner.train()
    torch.save(runner.model.module.state_dict(), f'{cfg.work_dir}/rank{dist.get_rank()}.pth')
    dist.destroy_process_group()
''')


def test_freeze_and_unfreeze_under_ddp_without_unused_parameter_errors(tmp_path):
    work_dir = tmp_path / 'work'
    data_root = tiny_data(tmp_path / 'images', per_class=4)  # 3 iterations a process an epoch
    cfg = tiny_cfg(
        work_dir,
        data_root,
        max_epochs=2,
        launcher='pytorch',
        # find_unused_parameters=False: DDP would wait for the frozen parameters' gradients
        # ("Expected to have finished reduction...") had the hook not rebuilt the wrapper.
        # device_ids=None: the Runner's default [LOCAL_RANK] is for GPUs only.
        model_wrapper_cfg=dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            find_unused_parameters=False,
            broadcast_buffers=False),
        custom_hooks=[dict(type='FreezeHook', modules='backbone', unfreeze_epoch=1)])
    init = initial_checkpoint(cfg, tmp_path / 'init.pth')
    cfg.load_from = str(tmp_path / 'init.pth')
    config, driver = tmp_path / 'config.py', tmp_path / 'driver.py'
    cfg.dump(str(config))
    driver.write_text(DRIVER)

    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2',
        str(driver),
        str(config)
    ],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]

    backbone = backbone_keys(init)
    params = [k for k in backbone if k.endswith(('weight', 'bias'))]
    assert_same(state_dict(work_dir / 'epoch_1.pth'), init, backbone)  # frozen in epoch 1
    rank0 = torch.load(work_dir / 'rank0.pth', weights_only=True)
    rank1 = torch.load(work_dir / 'rank1.pth', weights_only=True)
    assert changed(rank0, init, params) == params  # trained in epoch 2 ...
    # ... with gradients averaged over both processes (each saw different images): a
    # parameter DDP left out would have been updated from its own process's gradient only
    assert_same(rank0, rank1, [k for k in rank0 if k.endswith(('weight', 'bias'))])
