import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_tool(*args: str, cwd: Path = REPO_ROOT, check: bool = True) -> subprocess.CompletedProcess:
    """Run `python tools/<...>.py args` as a user would; return the finished process."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    result = subprocess.run([sys.executable, *args],
                            cwd=cwd,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({result.returncode}):\n'
                             f'{result.stdout[-4000:]}\n{result.stderr[-6000:]}')
    return result


def make_image_folder(root: Path, num_classes: int = 3, per_class: int = 6, size: int = 32) -> Path:
    """A tiny ImageFolder data set of real PNG files: class i is a bright square in corner i."""
    import cv2
    rng = np.random.default_rng(0)
    for label in range(num_classes):
        folder = root / f'class_{label}'
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            y, x = divmod(label, 2)
            half = size // 2
            img[y * half:(y + 1) * half, x * half:(x + 1) * half] += 150
            cv2.imwrite(str(folder / f'{i:03d}.png'), img)
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / 'images')


@pytest.fixture(autouse=True)
def zoo_default_scope():
    """Every test starts in the zoo scope, whatever scope an earlier test (an mmdet one, say)
    left current; scopes a test creates are dropped after it."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('zoo'):
        yield
