"""The confusion-matrix plot and Grad-CAM's layer choice for the transformers."""
import numpy as np
import pytest
import torch
from matplotlib import colormaps

from zoo.registry import MODELS
from zoo.visualization import default_target_layer, grad_cam, plot_confusion_matrix


def rgb(figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)


def test_confusion_matrix_cells_have_the_colour_of_their_count():
    matrix = torch.tensor([[6, 1, 0], [0, 3, 2], [1, 0, 4]])
    figure = plot_confusion_matrix(matrix, ['a', 'b', 'c'])
    pixels = rgb(figure)
    assert pixels.shape == (500, 500, 3)  # 5 x 5 inches at 100 dpi
    ax = figure.axes[0]
    for (row, col), value in np.ndenumerate(matrix.numpy()):
        # a point left of the cell's centre, clear of the count written there
        x, y = ax.transData.transform((col - 0.35, row))
        got = pixels[int(round(pixels.shape[0] - y)), int(round(x))]
        want = np.array(colormaps['viridis'](value / 6)[:3]) * 255
        assert np.abs(got - want).max() < 12, (row, col, got, want)


def test_confusion_matrix_rejects_mismatched_names():
    with pytest.raises(ValueError, match='2 class names for a 3-class matrix'):
        plot_confusion_matrix(torch.eye(3), ['a', 'b'])


def tiny(backbone: dict, in_channels: int, neck=True) -> torch.nn.Module:
    torch.manual_seed(0)
    head = 'VisionTransformerClsHead' if backbone['type'] == 'VisionTransformer' \
        else 'LinearClsHead'
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling') if neck else None,
            head=dict(type=head, num_classes=3, in_channels=in_channels))).eval()


VIT = dict(
    type='VisionTransformer',
    img_size=32,
    patch_size=8,
    arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64))
SWIN = dict(
    type='SwinTransformer',
    window_size=4,
    out_indices=(1, ),
    arch=dict(embed_dims=16, depths=[2, 2], num_heads=[1, 2]))


def test_vit_cam_reads_the_patch_tokens_of_the_last_block():
    model = tiny(VIT, 32, neck=False)
    inputs = torch.randn(1, 3, 32, 32)
    name, reshape = default_target_layer(model, inputs)
    assert name == 'backbone.layers.1.ln1'
    assert reshape(torch.zeros(1, 1 + 16, 32)).shape == (1, 32, 4, 4)
    cam, _ = grad_cam(model, inputs)
    assert cam.shape == (32, 32) and cam.std() > 0.05
    # After the final norm only the class token reaches the head: the patch tokens get no
    # gradient and the map is empty. This is why the default is the last block's ln1.
    empty, _ = grad_cam(model, inputs, target_layers=['backbone.ln1'])  # the final norm
    assert np.abs(empty).max() < 1e-6


def test_swin_cam_permutes_channel_last_maps():
    model = tiny(SWIN, 32)
    inputs = torch.randn(1, 3, 32, 32)
    name, reshape = default_target_layer(model, inputs)
    assert name == 'backbone.norm1'
    assert reshape(torch.zeros(1, 4, 4, 32)).shape == (1, 32, 4, 4)
    cam, category = grad_cam(model, inputs, target_category=2)
    assert category == 2 and cam.shape == (32, 32) and cam.std() > 0.05


def test_cnn_cam_skips_a_last_stage_of_1x1():
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='LeNet5'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=120)))
    # the last layer of LeNet-5's layer2, a view of mmpretrain's flat features
    assert default_target_layer(model, torch.zeros(1, 1, 32, 32))[0] == 'backbone.features.5'


def test_unknown_target_layer_is_named():
    with pytest.raises(KeyError, match=r"\['backbone.nope'\] are not modules"):
        grad_cam(tiny(SWIN, 32), torch.randn(1, 3, 32, 32), target_layers=['backbone.nope'])
