"""A data set where the object's place decides the class, for checks of where a picture
(Grad-CAM, a drawn label) puts its marks: class ``q`` is a coloured square somewhere inside
quadrant ``q`` (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) on a dark noise
background, in ImageFolder layout (``<root>/<q>/<i>.png``)."""
from pathlib import Path
from typing import Tuple

import cv2
import numpy as np

from tests.conftest import REPO_ROOT

SIZE = 64


def quadrant_image(quadrant: int, rng: np.random.Generator, size: int = SIZE
                   ) -> Tuple[np.ndarray, Tuple[int, int, int, int]]:
    """One BGR image and the square's box ``(x0, y0, x1, y1)``."""
    image = rng.integers(0, 50, (size, size, 3), dtype=np.uint8)
    half = size // 2
    side = int(rng.integers(half // 2, half - 4))
    row, col = divmod(quadrant, 2)
    x0 = col * half + int(rng.integers(2, half - side - 1))
    y0 = row * half + int(rng.integers(2, half - side - 1))
    image[y0:y0 + side, x0:x0 + side] = rng.integers(120, 256, 3)
    return image, (x0, y0, x0 + side, y0 + side)


def make_quadrant_folder(root: Path, per_class: int = 24, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for quadrant in range(4):
        folder = root / str(quadrant)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            cv2.imwrite(str(folder / f'{i:03d}.png'), quadrant_image(quadrant, rng)[0])
    return root


def write_config(path: Path, data_root: Path, model: str = 'resnet18', epochs: int = 6,
                 **backbone) -> Path:
    """A config training ``configs/_base_/models/<model>.py`` on the quadrant set (val = the
    training images: the checks are of pictures, not of generalisation)."""
    base = REPO_ROOT / 'configs' / '_base_'
    path.write_text(f'''
_base_ = ['{base}/models/{model}.py', '{base}/default_runtime.py']
model = dict(backbone=dict(**{backbone!r}), head=dict(num_classes=4, topk=(1, )))
data_preprocessor = dict(mean=[127.5] * 3, std=[127.5] * 3)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackClsInputs')]
dataset = dict(type='CustomDataset', data_root='{data_root}', pipeline=pipeline)
train_dataloader = dict(batch_size=16, num_workers=0, dataset=dataset,
                        sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(batch_size=32, num_workers=0, dataset=dataset,
                      sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(by_epoch=True, max_epochs={epochs}, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval={epochs}))
randomness = dict(seed=0)
''')
    return path
