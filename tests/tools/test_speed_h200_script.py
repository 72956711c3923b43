"""tools/gpu_checks/speed_h200.sh in its CPU smoke mode (SPEED_SMOKE=1): every step of the
prepared GPU check runs with the same switches (bf16, channels_last, pinned memory,
non-blocking copies, torch.compile, workers, traces) at toy sizes and writes its table, so that
a GPU session does not find a broken command. No figure is checked."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / 'tools' / 'gpu_checks' / 'speed_h200.sh'


@pytest.mark.slow
def test_every_step_of_the_gpu_check_runs_in_smoke_mode(tmp_path: Path):
    env = dict(
        os.environ,
        SPEED_SMOKE='1',
        CUDA_VISIBLE_DEVICES='',
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    result = subprocess.run(['bash', str(SCRIPT), str(tmp_path)],
                            cwd=REPO_ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=1500)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-6000:]
    text = {path.name: path.read_text() for path in tmp_path.glob('*.txt')}
    assert 'SPEED_SMOKE=1' in text['gpu.txt']
    for name in ('r50_eager.txt', 'r50_compile.txt'):
        assert '| plain | torchvision resnet50 |' in text[name], text[name]
        assert 'runner / plain: ' in text[name], text[name]
    assert '2 DataLoader workers, batch 4' in text['data_w16.txt'], text['data_w16.txt']
    assert '| zoo config |' in text['data_w16.txt'], text['data_w16.txt']
    assert 'torchvision' in text['mnv3l_profile.txt'], text['mnv3l_profile.txt']
    traces = sorted(p.name for p in (tmp_path / 'mnv3l_traces').glob('*.json'))
    assert len(traces) == 2, traces
