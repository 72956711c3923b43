"""A data set where one object decides the class, for checks of where a picture (Grad-CAM, a
drawn label) puts its marks: class ``k`` is a square of colour ``COLOURS[k]`` at a random
place on a dark noise background, so nothing but the square tells the classes apart. In
ImageFolder layout (``<root>/<k>/<i>.png``)."""
from pathlib import Path
from typing import Tuple

import cv2
import numpy as np

from tests.conftest import REPO_ROOT

SIZE = 32
COLOURS = ((40, 40, 230), (40, 200, 40), (230, 90, 30))  # BGR: red, green, blue


def square_image(label: int,
                 rng: np.random.Generator,
                 size: int = SIZE) -> Tuple[np.ndarray, Tuple[int, int, int, int]]:
    """One BGR image of class ``label`` and its square's box ``(x0, y0, x1, y1)``."""
    image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    side = int(rng.integers(size // 4, size // 3 + 1))
    x0, y0 = (int(v) for v in rng.integers(1, size - side - 1, 2))
    colour = np.clip(np.array(COLOURS[label]) + rng.integers(-20, 21, 3), 0, 255)
    image[y0:y0 + side, x0:x0 + side] = colour
    return image, (x0, y0, x0 + side, y0 + side)


def make_square_folder(root: Path, per_class: int = 32, seed: int = 0, size: int = SIZE) -> Path:
    rng = np.random.default_rng(seed)
    for label in range(len(COLOURS)):
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            cv2.imwrite(str(folder / f'{i:03d}.png'), square_image(label, rng, size)[0])
    return root


def write_config(path: Path,
                 data_root: Path,
                 model: str = 'lenet5',
                 epochs: int = 4,
                 lr: float = 3e-3,
                 **backbone) -> Path:
    """A config training ``configs/_base_/models/<model>.py`` on the squares (val = the
    training images: the checks are of pictures, not of generalisation)."""
    base = REPO_ROOT / 'configs' / '_base_'
    path.write_text(f'''
_base_ = ['{base}/models/{model}.py', '{base}/default_runtime.py']
model = dict(backbone=dict(**{backbone!r}), head=dict(num_classes={len(COLOURS)}, topk=(1, )))
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
optim_wrapper = dict(optimizer=dict(type='Adam', lr={lr}))
train_cfg = dict(by_epoch=True, max_epochs={epochs}, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval={epochs}))
randomness = dict(seed=0)
''')
    return path
