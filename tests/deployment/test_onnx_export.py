"""ONNX export of every classification config: onnxruntime's scores on the graph's raw RGB
pixels equal ``inference_model``'s ``pred_scores`` on the same image within 1e-4.

Random weights, with the final layer scaled so that the scores are far from uniform. The
default run exports the cheapest config of every family (smallest test size, then fewest
parameters); the others are ``slow``:

    python -m pytest tests/deployment/test_onnx_export.py -m slow
"""
from collections import defaultdict

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.conftest import run_tool
from zoo.apis import get_model, get_test_image_size, inference_model, list_models
from zoo.deployment import ExportError, export_model, export_onnx
from zoo.deployment.onnx_export import exportable_copy
from zoo.deployment.verify import graph_input, run_onnx, spread_logits


def classification_configs() -> dict:
    """Family (config folder) -> its classification config names, cheapest first."""
    families = defaultdict(list)
    for name, info in list_models().items():
        cfg = Config.fromfile(info.config, import_custom_modules=False)
        if cfg.get('default_scope') != 'zoo':
            continue
        height, width = get_test_image_size(cfg)
        families[info.config.parent.name].append((height * width, info.params or 0, name))
    return {
        family: [name for *_, name in sorted(entries)]
        for family, entries in sorted(families.items())
    }


FAMILIES = classification_configs()
CASES = [
    pytest.param(name, marks=[] if i == 0 else [pytest.mark.slow], id=name)
    for names in FAMILIES.values() for i, name in enumerate(names)
]


@pytest.fixture(scope='module')
def photo(tmp_path_factory) -> str:
    """A 300 x 400 picture with structure at every scale (gradients, discs, noise)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:300, :400]
    img = np.stack([xx * 255 / 400, yy * 255 / 300, (xx + yy) * 255 / 700], -1)
    for _ in range(6):
        cv2.circle(img, (int(rng.integers(0, 400)), int(rng.integers(0, 300))),
                   int(rng.integers(10, 80)),
                   rng.integers(0, 255, 3).tolist(), -1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    path = tmp_path_factory.mktemp('photo') / 'photo.png'
    cv2.imwrite(str(path), img)
    return str(path)


def test_every_family_is_covered_by_the_default_run():
    assert set(FAMILIES) >= {'lenet', 'resnet', 'vgg', 'vit', 'swin', 'mobilenet_v3'}
    assert sum(1 for case in CASES if not case.marks) == len(FAMILIES)


@pytest.mark.parametrize('name', CASES)
def test_onnxruntime_scores_equal_inference_model(name, photo, tmp_path):
    torch.manual_seed(0)
    model = get_model(name)
    spread_logits(model, photo)
    expected = inference_model(model, photo)['pred_scores']
    num_classes = expected.shape[0]
    assert expected.max() > 2 / num_classes, 'scores too close to uniform to compare'

    onnx_file = str(tmp_path / f'{name}.onnx')
    example = export_model(model, onnx_file)
    pixels = graph_input(model, photo)
    assert pixels.shape == tuple(
        example.shape) == (1, example.shape[1], *get_test_image_size(model.cfg))
    (scores, ) = run_onnx(onnx_file, pixels)
    np.testing.assert_allclose(scores[0], expected, rtol=0, atol=1e-4)


def test_the_tool_exports_a_dynamic_batch(photo, tmp_path):
    name = 'mobilenet-v2_8xb16_cifar10'
    torch.manual_seed(0)
    model = get_model(name)
    spread_logits(model, photo)
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = tmp_path / 'model.onnx'
    result = run_tool('tools/deployment/pytorch2onnx.py', f'configs/mobilenet_v2/{name}.py',
                      str(checkpoint), '--output-file', str(onnx_file), '--dynamic-batch',
                      '--verify')
    assert 'input (1, 3, 32, 32) float32 RGB 0-255 (dynamic batch)' in result.stdout
    pixels = graph_input(model, photo)
    negative = 255 - pixels  # a second, different image in the same batch
    (scores, ) = run_onnx(str(onnx_file), np.concatenate([pixels, negative]))
    assert scores.shape == (2, 10)
    np.testing.assert_allclose(scores[0], inference_model(model, photo)['pred_scores'], atol=1e-4)
    np.testing.assert_allclose(scores[1], run_onnx(str(onnx_file), negative)[0][0], atol=1e-6)


class FourierNeck(torch.nn.Module):
    """A neck whose FFT (aten::fft_fft2) has no ONNX operator."""

    def forward(self, feats):
        return tuple(torch.fft.fft2(f).abs().mean((2, 3)) for f in feats)


def test_an_op_onnx_cannot_express_names_the_module(tmp_path):
    model = get_model('resnet18_8xb16_cifar10')
    model.neck = FourierNeck()
    with pytest.raises(
            ExportError,
            match=r"aten::fft_fft2 cannot be exported to ONNX opset 17; "
            r'it is called in model\.neck \(FourierNeck\)'):
        export_model(model, str(tmp_path / 'fft.onnx'))
    assert not (tmp_path / 'fft.onnx').exists()


def test_adaptive_pooling_onnx_cannot_express_is_named_then_swapped(tmp_path):
    """ONNX pools only to output sizes that divide the input (YOLOv1's 7 x 7 grid from an
    8 x 8 map does not): the error names the layer; the export copy computes it by matrix
    products instead, with the same values."""
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1),
                              torch.nn.AdaptiveAvgPool2d(7)).eval()
    x = torch.rand(2, 3, 8, 8)
    with pytest.raises(
            ExportError,
            match=r'aten::adaptive_avg_pool2d cannot be exported to ONNX '
            r'opset 17; it is called in 1 \(AdaptiveAvgPool2d\)'):
        export_onnx(net, x, str(tmp_path / 'pool.onnx'))
    swapped = exportable_copy(net)
    assert type(net[1]) is torch.nn.AdaptiveAvgPool2d  # the model itself is left alone
    export_onnx(swapped, x, str(tmp_path / 'pool.onnx'), output_names=('out', ))
    (out, ) = run_onnx(str(tmp_path / 'pool.onnx'), x.numpy())
    with torch.no_grad():
        np.testing.assert_allclose(out, net(x).numpy(), atol=1e-6)
