"""Grad-CAM of trained transformers on the squares (only the square tells the classes apart):
the map must be non-empty and hottest on the square. The models train with their own
``train_step`` and an ``OptimWrapper``, as the Runner drives them, on images generated here.

The slow tests are Swin's (slower to train) and the case that motivated ViT's default method:
a 6-layer ViT trained a few steps, whose Grad-CAM at the last block's ``ln1`` is empty for most
images (mmpretrain's recipe), while the default ``GradCAMElementWise`` shows the square on
every one::

    python -m pytest tests/visualization/test_cam_trained.py -m slow
"""
import warnings

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper

from tests.visualization.squares import COLOURS, square_image
from zoo.registry import MODELS
from zoo.structures import ClsDataSample
from zoo.visualization import grad_cam

PREPROCESSOR = dict(type='ClsDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3)


def vit(embed_dims: int, num_layers: int) -> dict:
    return dict(
        backbone=dict(
            type='VisionTransformer',
            img_size=32,
            patch_size=4,
            arch=dict(
                embed_dims=embed_dims,
                num_layers=num_layers,
                num_heads=2,
                feedforward_channels=2 * embed_dims)),
        neck=None,
        head=dict(type='VisionTransformerClsHead', num_classes=3, in_channels=embed_dims))


SWIN = dict(
    backbone=dict(
        type='SwinTransformer',
        patch_size=2,
        window_size=4,
        out_indices=(1, ),
        arch=dict(embed_dims=16, depths=[2, 2], num_heads=[1, 2])),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=32))


def batch(rng: np.random.Generator, size: int):
    images, samples, boxes = [], [], []
    for _ in range(size):
        label = int(rng.integers(len(COLOURS)))
        image, box = square_image(label, rng)
        images.append(torch.from_numpy(image).permute(2, 0, 1).contiguous())
        samples.append(ClsDataSample().set_gt_label(label))
        boxes.append(box)
    return dict(inputs=images, data_samples=samples), boxes


def trained(parts: dict, steps: int, lr: float) -> torch.nn.Module:
    torch.manual_seed(0)
    model = MODELS.build(dict(type='ImageClassifier', data_preprocessor=PREPROCESSOR, **parts))
    optim_wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=lr))
    rng = np.random.default_rng(0)
    model.train()
    for _ in range(steps):
        model.train_step(batch(rng, 16)[0], optim_wrapper)
    return model.eval()


def cam_on_squares(model: torch.nn.Module, method=None, images: int = 12):
    """``(empty, hotter inside / outside the square)`` of each correctly classified image."""
    data, boxes = batch(np.random.default_rng(1), images)
    results = []
    for image, sample, (x0, y0, x1, y1) in zip(data['inputs'], data['data_samples'], boxes):
        inputs = model.data_preprocessor(dict(inputs=[image]), False)['inputs']
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # the empty maps' warning: counted here
            cam, category = grad_cam(model, inputs, method=method)
        if category != int(sample.gt_label):
            continue
        outside = np.ones_like(cam, dtype=bool)
        outside[y0:y1, x0:x1] = False
        results.append((np.ptp(cam)
                        < 1e-6, cam[y0:y1, x0:x1].mean() / max(cam[outside].mean(), 1e-6)))
    assert len(results) >= images - 2, 'the model misclassifies too many squares to check'
    return results


# ViT's maps are sharp (4x4 patches); Swin's, from its second stage's 8x8 grid of windows
# that see most of the image, are hotter on the square by less.
@pytest.mark.parametrize(
    'name,parts,least_median',
    [('vit', vit(32, 2), 3.0),
     pytest.param('swin', SWIN, 1.2, marks=pytest.mark.slow)])  # Swin: half a minute idle
def test_cam_of_a_trained_transformer_is_hottest_on_the_square(name, parts, least_median):
    results = cam_on_squares(trained(parts, 60, 2e-3))
    assert not any(empty for empty, _ in results), name
    ratios = np.array([ratio for _, ratio in results])
    assert np.mean(ratios > 1) >= 0.8 and np.median(ratios) > least_median, (name, ratios)


@pytest.mark.slow  # about a minute of training on 2 idle cores
def test_vit_grad_cam_is_empty_where_the_default_shows_the_square():
    model = trained(vit(64, 6), 30, 1e-3)
    grad_cam_results = cam_on_squares(model, 'GradCAM', images=15)
    assert np.mean([empty for empty, _ in grad_cam_results]) > 0.3  # the reported fault
    results = cam_on_squares(model, images=15)  # GradCAMElementWise
    assert not any(empty for empty, _ in results)
    assert all(ratio > 1.5 for _, ratio in results), results


def test_an_empty_map_is_warned_about():
    # a head that ignores the input: nothing raises the score, the map is empty
    model = trained(vit(32, 2), 0, 1e-3)
    torch.nn.init.zeros_(model.head.layers.head.weight)
    inputs = torch.zeros(1, 3, 32, 32)
    with pytest.warns(UserWarning, match='of class 0 at .* is empty: no position raises'):
        cam, _ = grad_cam(model, inputs, target_category=0)
    assert np.ptp(cam) == 0


def test_vit_grad_cam_is_mmpretrains_vis_cam():
    """With the same weights, zoo's Grad-CAM of a ViT is what mmpretrain's vis_cam.py computes
    (its default target layer and its reshape_transform, loaded from its installed tool)."""
    import argparse
    import importlib.util
    import os.path as osp

    import mmpretrain
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    spec = importlib.util.spec_from_file_location(
        'mmpretrain_vis_cam',
        osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'visualization', 'vis_cam.py'))
    vis_cam = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vis_cam)

    ours = trained(vit(32, 2), 0, 1e-3)
    theirs = MMPRETRAIN_MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            backbone=dict(
                type='mmpretrain.VisionTransformer',
                img_size=32,
                patch_size=4,
                arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)),
            head=dict(type='mmpretrain.VisionTransformerClsHead', num_classes=3,
                      in_channels=32))).eval()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    args = argparse.Namespace(vit_like=True, num_extra_tokens=None)
    layers = vis_cam.get_default_target_layers(theirs, args)
    assert layers == [theirs.backbone.layers[-1].ln1]

    data, _ = batch(np.random.default_rng(2), 3)
    for image in data['inputs']:
        inputs = ours.data_preprocessor(dict(inputs=[image]), False)['inputs']
        cam, category = grad_cam(ours, inputs, method='GradCAM')
        with GradCAM(
                model=theirs,
                target_layers=layers,
                reshape_transform=lambda t: vis_cam.reshape_transform(t, theirs, args)) as peer:
            expected = peer(input_tensor=inputs, targets=[ClassifierOutputTarget(category)])[0]
        np.testing.assert_allclose(cam, expected, atol=1e-5)
        assert np.ptp(cam) > 0.1
