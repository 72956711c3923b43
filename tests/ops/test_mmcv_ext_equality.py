"""zoo.mmcv_ext against compiled mmcv 2.1.0: outputs recorded once by
tools/mmcv_ext_reference.py from the compiled ops (tests/ops/data/), recomputed here on
whatever ``mmcv._ext`` is installed. Bit-identical unless a tolerance is stated.

The fixture was recorded with ``--ext-dir``: mmcv 2.1.0's CPU kernels as this machine's build
of its wheel compiled them (torch 2.14.1, -std=c++20, -O3), linked with the bindings of the
recorded ops only. With the full wheel installed, ``python tools/mmcv_ext_reference.py --out
tests/ops/data/mmcv_2.1.0_cpu_reference.pt`` records the same cases."""
from pathlib import Path

import pytest
import torch
import torchvision

import zoo  # noqa: F401  (installs the mmcv._ext finder, as the .pth does once installed)
from zoo.mmcv_ext import reference_cases as ref

REFERENCE = Path(__file__).parent / 'data' / 'mmcv_2.1.0_cpu_reference.pt'


@pytest.fixture(scope='module')
def reference():
    return torch.load(REFERENCE, weights_only=True)


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """As when recording: float sums in convolutions may depend on the thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def assert_same(actual: torch.Tensor, expected: torch.Tensor, what: str, atol: float = 0):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, what
    if atol == 0:
        assert torch.equal(actual, expected), \
            f'{what}: max |diff| {(actual.double() - expected.double()).abs().max():.3g}'
    else:
        torch.testing.assert_close(actual, expected, atol=atol, rtol=atol, msg=what)


def test_the_fixture_was_recorded_from_compiled_mmcv_2_1_0(reference):
    assert reference['mmcv_version'].tolist() == [2, 1, 0]


def test_nms_keeps_what_mmcv_keeps(reference):
    cases = ref.nms_cases()
    naive_differs = 0
    for i, case in enumerate(cases):
        for key, value in case.items():  # the inputs are rebuilt identically
            assert_same(value, reference[f'nms/{i}/{key}'], f'nms case {i} {key}')
        for offset in (0, 1):
            assert_same(
                ref.run_nms(case, offset), reference[f'nms/{i}/keep_offset{offset}'],
                f'nms case {i} offset {offset}')
        for key, value in ref.run_batched_nms(case).items():
            assert_same(value, reference[f'nms/{i}/batched_{key}'], f'batched_nms {i} {key}')
        naive = torchvision.ops.nms(case['boxes'], case['scores'], float(case['threshold']))
        naive_differs += not torch.equal(naive, reference[f'nms/{i}/keep_offset0'])
    # ties and IoUs exactly at the threshold are in the cases: plain torchvision differs there
    assert naive_differs >= 3


# the gaussian decay's exp: mmcv calls glibc's expf, zoo rounds float64's exp to float32;
# they differ by one float32 step on some scores (same kept boxes, same order)
GAUSSIAN_SCORE_TOLERANCE = 1e-7


def test_soft_nms_and_nms_match_as_mmcv(reference):
    for i, case in enumerate(ref.nms_cases()):
        assert_same(ref.run_nms_match(case), reference[f'nms/{i}/match'], f'nms_match {i}')
        for method in ('linear', 'gaussian', 'naive'):
            result = ref.run_soft_nms(case, method)
            expected = reference[f'nms/{i}/soft_{method}_dets']
            assert_same(result['keep'], reference[f'nms/{i}/soft_{method}_keep'],
                        f'soft_nms {method} case {i} keep')
            assert_same(
                result['dets'],
                expected,
                f'soft_nms {method} case {i} dets',
                atol=GAUSSIAN_SCORE_TOLERANCE if method == 'gaussian' else 0)


def test_bbox_overlaps_as_mmcv(reference):
    for seed in range(2):
        for key, value in ref.run_bbox_overlaps(seed).items():
            assert_same(value, reference[f'bbox_overlaps/{seed}/{key}'], f'bbox_overlaps {key}')


@pytest.mark.parametrize('pool_mode', ['avg', 'max'])
@pytest.mark.parametrize('aligned, sampling_ratio', ref.ROI_ALIGN_SETTINGS)
def test_roi_align_forward_and_backward_as_mmcv(reference, aligned, sampling_ratio, pool_mode):
    inputs = ref.roi_inputs()
    for key, value in inputs.items():
        assert_same(value, reference[f'roi/{key}'], f'roi input {key}')
    result = ref.run_roi_align(inputs, aligned, sampling_ratio, pool_mode)
    for key, value in result.items():
        assert_same(value, reference[f'roi_align/{pool_mode}_{aligned}_{sampling_ratio}/{key}'],
                    f'roi_align {pool_mode} aligned={aligned} ratio={sampling_ratio} {key}')


# torchvision's deform_conv2d gathers the same samples as mmcv's kernel; the two sum the
# bilinear weights and the im2col products in different orders (float32 rounding)
DEFORM_TOLERANCE = 1e-5


@pytest.mark.parametrize('modulated', [False, True], ids=['dcn', 'dcnv2'])
@pytest.mark.parametrize('index', range(len(ref.DEFORM_SETTINGS)))
def test_deform_conv_forward_and_backward_as_mmcv(reference, modulated, index):
    setting = ref.DEFORM_SETTINGS[index]
    result = ref.run_deform_conv(ref.deform_inputs(setting, modulated), setting)
    for key, value in result.items():
        assert_same(
            value,
            reference[f'deform/{int(modulated)}_{index}/{key}'],
            f'deform conv {setting} modulated={modulated} {key}',
            atol=DEFORM_TOLERANCE)


# A whole detector's convolutions and reductions sum in an order that follows the CPU's vector
# width (torch picks AVX2 or AVX-512 kernels at run time), so on another CPU than the recording
# one its floats may move by a few units in the last place: on an AVX-512 host, Faster R-CNN's
# loss_rpn_bbox by 1 ulp (1.9e-9), its scores by 3e-8 and its boxes by 2.7e-5 px; SSD300's
# boxes by 5e-5 px, and two nearly tied RetinaNet detections swapped ranks. The ops' own cases
# above stay bit-identical.
DETECTOR_TOLERANCE = 1e-5  # relative, of the losses and the parameter sum (measured <= 7e-7)
SCORE_TOLERANCE = 1e-4  # relative, of a detection's score (measured <= 1.1e-5), and 1e-6 absolute
BOX_TOLERANCE = 1e-3  # px


# Faster R-CNN (NMS and RoIAlign forward and backward) runs by default; all six with -m slow
@pytest.mark.parametrize('name', [
    name if name == 'faster_rcnn' else pytest.param(name, marks=pytest.mark.slow)
    for name in ref.DETECTORS
])
def test_mmdet_detector_trains_and_predicts_as_with_compiled_mmcv(reference, name):
    """mmdet's own config: losses of one step, the updated weights, then the 30 best
    predictions, within the tolerances above."""
    result = ref.run_detector(name)
    prefix = f'detector/{name}/'
    expected = {k[len(prefix):]: v for k, v in reference.items() if k.startswith(prefix)}
    assert set(result) == set(expected)
    for key, value in result.items():
        if not key.startswith('pred/'):
            torch.testing.assert_close(
                value, expected[key], rtol=DETECTOR_TOLERANCE, atol=0, msg=f'{name} {key}')
    assert_same(result['pred/count'], expected['pred/count'], f'{name} pred/count')
    assert_same_detections(result, expected, name)


def assert_same_detections(result: dict, expected: dict, name: str) -> None:
    """The ranked detections, each matched to a reference one of the same label (and mask area)
    whose score and box are within SCORE_TOLERANCE and BOX_TOLERANCE: where two scores nearly
    tie, their order may differ from the recording CPU's."""
    scores, boxes = result['pred/scores'], result['pred/bboxes']
    ref_scores, ref_boxes = expected['pred/scores'], expected['pred/bboxes']
    torch.testing.assert_close(
        scores, ref_scores, rtol=SCORE_TOLERANCE, atol=1e-6, msg=f'{name} pred/scores')
    exact = [key for key in ('pred/labels', 'pred/mask_areas') if key in result]
    for i in range(len(scores)):
        candidates = (ref_scores - scores[i]).abs() <= SCORE_TOLERANCE * scores[i] + 1e-6
        for key in exact:
            candidates &= expected[key] == result[key][i]
        box_diff = (ref_boxes[candidates] - boxes[i]).abs()  # (candidates, 4)
        assert (box_diff <= BOX_TOLERANCE).all(dim=1).any(), \
            f'{name} detection {i} (score {scores[i]:.6g}, box {boxes[i].tolist()}, ' \
            f'{", ".join(f"{k} {result[k][i].item()}" for k in exact)}) has no reference twin'
