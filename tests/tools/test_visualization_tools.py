"""The picture tools run as a user runs them, on real runs: a 1-epoch LeNet-5 on the digits
(scalars.json, checkpoint), a LeNet-5 trained on coloured squares (where only the square
decides the class) and the synthetic shapes for detection. Each test reads the PNG back and
checks its size and that the drawing changed the pixels where it should."""
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT, run_tool
from tests.visualization.squares import (COLOURS, SIZE, make_square_folder, square_image,
                                         write_config)

LENET = 'configs/lenet/lenet5_1xb64_digits.py'
C0, C1 = (0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e)  # matplotlib's first two line colours


def digits_options(root: Path):
    return [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val', 'test')]


@pytest.fixture(scope='module')
def digits_run(tmp_path_factory):
    """LeNet-5, one epoch on the digits, validated once: a real scalars.json and checkpoint."""
    root = tmp_path_factory.mktemp('digits')
    run_tool('tools/dataset_converters/digits_to_imagefolder.py', '--out', str(root / 'data'))
    work_dir = root / 'work'
    run_tool('tools/train.py', LENET, '--work-dir', str(work_dir), '--cfg-options',
             'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', *digits_options(root / 'data'))
    return dict(data=root / 'data', work_dir=work_dir, checkpoint=work_dir / 'epoch_1.pth')


@pytest.fixture(scope='module')
def squares_run(tmp_path_factory):
    """LeNet-5 (RGB input) trained to tell the squares' colours apart."""
    root = tmp_path_factory.mktemp('squares')
    data = make_square_folder(root / 'data')
    config = write_config(root / 'lenet_squares.py', data, epochs=6, in_channels=3)
    run_tool('tools/train.py', str(config), '--work-dir', str(root / 'work'))
    return dict(
        data=data, config=config, work_dir=root / 'work', checkpoint=root / 'work' / 'epoch_6.pth')


def near(pixels: np.ndarray, colour, tolerance: int = 40) -> np.ndarray:
    return np.abs(pixels.astype(int) - colour).max(axis=2) < tolerance


def read_rgb(path: Path) -> np.ndarray:
    assert path.is_file(), f'{path} was not written'
    return cv2.imread(str(path))[..., ::-1]


def test_plot_curve_draws_each_run_in_each_panel(digits_run, squares_run, tmp_path):
    out = tmp_path / 'curves.png'
    run_tool('tools/analysis_tools/analyze_logs.py', 'plot_curve', str(digits_run['work_dir']),
             str(squares_run['work_dir']), '--keys', 'loss', 'lr', 'accuracy/top1', '--legend',
             'digits', 'squares', '--out', str(out))
    pixels = read_rgb(out)
    assert pixels.shape == (360, 1350, 3)  # 4.5 x 3.6 inches a panel, 100 dpi
    for panel in range(3):
        # the plot area, below the shared legend: both runs' lines (one validation point for
        # the 1-epoch digits run) in every panel
        area = pixels[70:310, panel * 450 + 60:(panel + 1) * 450 - 10]
        assert near(area, C0).sum() > 20 and near(area, C1).sum() > 150, panel
    assert near(pixels[:40], C0).any() and near(pixels[:40], C1).any()  # the legend


@pytest.mark.slow  # a fresh interpreter for an error message
def test_plot_curve_names_a_missing_key(digits_run, tmp_path):
    result = run_tool(
        'tools/analysis_tools/analyze_logs.py',
        'plot_curve',
        str(digits_run['work_dir']),
        '--keys',
        'accuracy/top5',
        '--out',
        str(tmp_path / 'x.png'),
        check=False)
    assert result.returncode != 0
    assert "no key 'accuracy/top5'; its keys are" in result.stderr
    assert not (tmp_path / 'x.png').exists()


def test_cal_train_time_reports_the_epoch(digits_run):
    result = run_tool('tools/analysis_tools/analyze_logs.py', 'cal_train_time',
                      str(digits_run['work_dir']))
    assert re.search(r'slowest epoch 1, average time is \d+\.\d{4} s/iter', result.stdout)
    assert re.search(r'average iter time: \d+\.\d{4} s/iter', result.stdout)


def test_confusion_matrix_of_the_digits_checkpoint(digits_run, tmp_path):
    out = tmp_path / 'cm.png'
    result = run_tool('tools/analysis_tools/confusion_matrix.py', LENET,
                      str(digits_run['checkpoint']), '--show-path', str(out), '--cfg-options',
                      *digits_options(digits_run['data']))
    rows = [line for line in result.stdout.splitlines() if re.match(r'^ \d \| ', line)]
    matrix = np.array([[int(v) for v in line.split('|')[1].split()] for line in rows])
    assert matrix.shape == (10, 10) and matrix.sum() == 359  # the held-out digits
    top1 = 100 * np.trace(matrix) / matrix.sum()
    assert f'top-1 {top1:.2f} %' not in result.stdout  # the title is in the picture only
    pixels = read_rgb(out)
    assert pixels.shape == (800, 800, 3)  # 0.6 in a class + 2, at 100 dpi
    # viridis' ends: the largest count's yellow and the zeros' purple are both drawn
    assert near(pixels, (253, 231, 37), 30).sum() > 100
    assert near(pixels, (68, 1, 84), 30).sum() > 1000


def test_grad_cam_is_brightest_on_the_square(squares_run):
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from zoo.registry import MODELS
    from zoo.visualization import grad_cam

    cfg = Config.fromfile(squares_run['config'])
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    load_checkpoint(model, str(squares_run['checkpoint']), strict=True)
    rng = np.random.default_rng(1)
    ratios = []
    for label in range(len(COLOURS)):
        for _ in range(4):
            image, (x0, y0, x1, y1) = square_image(label, rng)
            inputs = model.data_preprocessor(
                dict(inputs=[torch.from_numpy(image).permute(2, 0, 1).contiguous()]),
                False)['inputs']
            cam, category = grad_cam(model.eval(), inputs)
            if category != label:
                continue
            outside = np.ones_like(cam, dtype=bool)
            outside[y0:y1, x0:x1] = False
            ratios.append(cam[y0:y1, x0:x1].mean() / max(cam[outside].mean(), 1e-6))
    assert len(ratios) >= 9, 'the model misclassifies too many squares to check'
    # inside the square the map is hotter than around it: for every image, and mostly by far
    assert min(ratios) > 1.0 and np.median(ratios) > 2.5, ratios
    assert np.mean(np.array(ratios) > 1.5) >= 0.75, ratios


def test_vis_cam_tool_lays_the_map_beside_the_image(squares_run, tmp_path):
    image, (x0, y0, x1, y1) = square_image(1, np.random.default_rng(5))
    img = tmp_path / 'green.png'
    cv2.imwrite(str(img), image)
    out = tmp_path / 'cam.png'
    result = run_tool('tools/visualization/vis_cam.py', str(squares_run['config']),
                      str(squares_run['checkpoint']), str(img), '--save-path', str(out))
    assert re.search(r'class 1 \(1\), score 0\.\d{4}', result.stdout), result.stdout
    pixels = read_rgb(out).astype(int)
    scale = 224 // SIZE
    assert pixels.shape == (224, 448, 3)
    upscaled = cv2.resize(image[..., ::-1], (224, 224), interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(pixels[:, :224], upscaled)
    heat = pixels[:, 224:, 0] - pixels[:, 224:, 2]  # jet: red where high, blue where low
    inside = np.zeros((224, 224), dtype=bool)
    inside[y0 * scale:y1 * scale, x0 * scale:x1 * scale] = True
    assert heat[inside].mean() > heat[~inside].mean() + 40


@pytest.mark.slow  # a fresh interpreter; tests/visualization/test_plots.py checks ViT's CAM
def test_vis_cam_tool_on_a_vit(tmp_path):
    from mmengine.config import Config

    from zoo.registry import MODELS
    config = tmp_path / 'vit.py'
    config.write_text(f'''
_base_ = ['{REPO_ROOT}/configs/vit/vit-small-p4_1xb128_cifar10.py']
model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2,
                                     feedforward_channels=64)), head=dict(in_channels=32))
''')
    torch.manual_seed(0)
    cfg = Config.fromfile(config)
    checkpoint = tmp_path / 'vit.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    img = tmp_path / 'x.png'
    cv2.imwrite(str(img), square_image(0, np.random.default_rng(0))[0])
    out = tmp_path / 'cam.png'
    run_tool('tools/visualization/vis_cam.py', str(config), str(checkpoint), str(img),
             '--save-path', str(out))
    overlay = read_rgb(out)[:, 224:].astype(int)
    heat = overlay[..., 0] - overlay[..., 2]
    assert heat.std() > 20  # an 8x8 patch map, not the empty one of the final norm


def test_browse_dataset_draws_the_pipeline_output_of_the_digits(digits_run, tmp_path):
    out_dir = tmp_path / 'browse'
    run_tool('tools/visualization/browse_dataset.py', LENET, '--output-dir', str(out_dir),
             '--phase', 'val', '--show-number', '3', '--cfg-options',
             *digits_options(digits_run['data']))
    files = sorted(out_dir.glob('*.png'))
    assert len(files) == 3
    for path in files:
        digit = path.name[:4]
        (source, ) = (digits_run['data'] / 'val').glob(f'*/{digit}.png')
        raw = cv2.resize(cv2.imread(str(source)), (224, 224))
        pixels = cv2.imread(str(path)).astype(int)
        assert pixels.shape == (224, 224, 3)
        assert np.abs(pixels[:25, :120] - raw[:25, :120]).mean() > 20  # the label text
        assert np.abs(pixels[60:] - raw[60:]).mean() < 3
