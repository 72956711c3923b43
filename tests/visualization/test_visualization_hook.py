"""VisualizationHook with the stock Runner: the pictures of a real training and test run, in
the local vis backend and in TensorBoard (the one-line option of default_runtime.py)."""
import ast
import glob
import os.path as osp
import re

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from tests.conftest import REPO_ROOT
from tests.visualization.squares import make_square_folder, write_config

INTERVAL = 5
PER_CLASS = 8  # 3 classes: 24 images, samples 0, 5, 10, 15 and 20 drawn


def tensorboard_line() -> str:
    """The commented vis_backends line of default_runtime.py that adds TensorBoard."""
    text = (REPO_ROOT / 'configs/_base_/default_runtime.py').read_text()
    (line, ) = [
        ln for ln in text.splitlines()
        if ln.startswith('# vis_backends') and 'TensorboardVisBackend' in ln
    ]
    return line[2:]


def test_pictures_of_val_and_test_reach_local_files_and_tensorboard(tmp_path):
    data = make_square_folder(tmp_path / 'data', per_class=PER_CLASS)
    cfg = Config.fromfile(write_config(tmp_path / 'lenet.py', data, epochs=2, in_channels=3))
    namespace = {}
    exec(tensorboard_line(), {}, namespace)
    cfg.visualizer.vis_backends = namespace['vis_backends']
    cfg.default_hooks.visualization = dict(
        type='VisualizationHook', enable=True, interval=INTERVAL, resize=96)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    runner.test()

    vis_data = osp.join(cfg.work_dir, runner.timestamp, 'vis_data')
    files = sorted(glob.glob(osp.join(vis_data, 'vis_image', '*.png')))
    steps = {}
    for path in files:
        match = re.fullmatch(r'(.+\.png)_(\d+)\.png', osp.basename(path))
        assert match, path
        steps.setdefault(int(match[2]), []).append(match[1])
    # epochs 1 and 2 from validation, step 0 from the test: ceil(24 / 5) = 5 pictures each
    assert sorted(steps) == [0, 1, 2] and all(len(v) == 5 for v in steps.values())

    dataset = runner.test_dataloader.dataset
    drawn_names = [
        osp.basename(dataset.get_data_info(i)['img_path'])
        for i in range(0, len(dataset), INTERVAL)
    ]
    assert sorted(steps[0]) == sorted(drawn_names)
    for name in drawn_names:
        picture = cv2.imread(osp.join(vis_data, 'vis_image', f'{name}_0.png'))
        assert picture.shape == (96, 96, 3)
        source = cv2.resize(
            cv2.imread(dataset.get_data_info(drawn_names.index(name) * INTERVAL)['img_path']),
            (96, 96))
        text_box = np.abs(picture[:20, :60].astype(int) - source[:20, :60]).mean()
        elsewhere = np.abs(picture[40:, :].astype(int) - source[40:, :]).mean()
        assert text_box > 20 > 3 > elsewhere, (name, text_box, elsewhere)

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    assert glob.glob(osp.join(vis_data, 'events.out.tfevents.*'))
    accumulator = EventAccumulator(vis_data, size_guidance={'images': 0})
    accumulator.Reload()
    assert sorted(accumulator.Tags()['images']) == sorted(set(drawn_names))
    assert 'loss' in accumulator.Tags()['scalars']
    assert len(accumulator.Images(drawn_names[0])) == 3  # steps 1, 2 and 0


def test_disabled_by_default_in_every_zoo_config():
    hooks = ast.literal_eval(
        repr(
            Config.fromfile(REPO_ROOT /
                            'configs/lenet/lenet5_1xb64_digits.py').default_hooks.to_dict()))
    assert hooks['visualization'] == dict(type='VisualizationHook', enable=False)


def test_a_small_image_is_scaled_up_for_legible_labels(tmp_path):
    import uuid

    import torch

    from zoo.engine.hooks import VisualizationHook
    from zoo.structures import ClsDataSample
    from zoo.visualization import UniversalVisualizer

    UniversalVisualizer.get_instance(f'small_{uuid.uuid4().hex[:8]}')  # the current one
    hook = VisualizationHook(enable=True, interval=1, out_dir=str(tmp_path))
    image = torch.randint(0, 60, (3, 32, 48), dtype=torch.uint8)  # a CIFAR-sized image
    sample = ClsDataSample(metainfo=dict(img_path='small.png')).set_gt_label(1)
    hook._draw_samples(0, dict(inputs=[image]), [sample], step=3)
    picture = cv2.imread(str(tmp_path / 'small.png_3.png'))
    assert picture.shape == (224, 336, 3)  # short edge 224, the aspect kept
    upscaled = cv2.resize(image.permute(1, 2, 0).numpy(), (336, 224))
    assert np.abs(picture[:20, :80].astype(int) - upscaled[:20, :80]).mean() > 20  # the label
