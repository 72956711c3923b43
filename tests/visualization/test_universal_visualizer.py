"""UniversalVisualizer draws the labels where mmpretrain's does and leaves the rest alone."""
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from zoo.structures import ClsDataSample
from zoo.visualization import UniversalVisualizer

GREY = 128


def sample(gt=1, pred=1, scores=(0.1, 0.7, 0.2)) -> ClsDataSample:
    return ClsDataSample().set_gt_label(gt).set_pred_label(pred).set_pred_score(
        torch.tensor(scores))


@pytest.fixture
def visualizer():
    return UniversalVisualizer.get_instance(f'test_universal_visualizer_{id(object())}')


def test_labels_are_drawn_in_the_top_left_box_only(visualizer):
    image = np.full((224, 224, 3), GREY, np.uint8)
    drawn = visualizer.visualize_cls(image, sample(), classes=['cat', 'dog', 'fox'])
    assert drawn.shape == (224, 224, 3) and drawn.dtype == np.uint8
    changed = np.abs(drawn.astype(int) - GREY).sum(axis=2) > 30
    ys, xs = np.nonzero(changed)
    # Two lines of text from (5, 5): 'Ground truth: 1 (dog)' and 'Prediction: 1, 0.70 (dog)'
    assert ys.min() < 10 and xs.min() < 10
    assert 20 < ys.max() < 60 and 150 < xs.max() < 224
    assert not changed[80:, :].any()  # below the box, the image is untouched


def test_score_and_class_names_change_the_text(visualizer):
    image = np.full((224, 224, 3), GREY, np.uint8)
    full = visualizer.visualize_cls(image, sample(), classes=['cat', 'dog', 'fox'])
    no_score = visualizer.visualize_cls(
        image, sample(), classes=['cat', 'dog', 'fox'], draw_score=False)
    other_score = visualizer.visualize_cls(
        image, sample(scores=(0.1, 0.3, 0.6)), classes=['cat', 'dog', 'fox'])
    assert (full != no_score).any() and (full != other_score).any()
    gt_only = visualizer.visualize_cls(image, sample(), draw_pred=False)
    changed = np.abs(gt_only.astype(int) - GREY).sum(axis=2) > 30
    assert np.nonzero(changed)[0].max() < 25  # one line of text


def test_gray_small_image_is_resized_and_written(visualizer, tmp_path):
    image = np.full((32, 32, 1), GREY, np.uint8)
    out = tmp_path / 'sub' / 'x.png'
    drawn = visualizer.visualize_cls(image, sample(), resize=128, out_file=str(out))
    assert drawn.shape == (128, 128, 3)
    written = cv2.imread(str(out))
    np.testing.assert_array_equal(written[..., ::-1], drawn)


def test_a_label_outside_the_class_names_is_an_error(visualizer):
    with pytest.raises(ValueError, match='label 3 is outside the 3 class names'):
        visualizer.visualize_cls(
            np.zeros((64, 64, 3), np.uint8), sample(gt=3), classes=['a', 'b', 'c'])


def test_found_lazily_by_name_from_zoo_and_other_scopes():
    code = ('import zoo; from mmengine.registry import VISUALIZERS, DefaultScope\n'
            'from zoo.registry import VISUALIZERS as ZOO\n'
            "print(ZOO.get('UniversalVisualizer').__module__)\n"
            "with DefaultScope.overwrite_default_scope('mmengine'):\n"
            "    v = VISUALIZERS.build(dict(type='zoo.UniversalVisualizer', name='v'))\n"
            'print(type(v).__name__)\n')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True,
                         timeout=300).stdout.split()
    assert out == ['zoo.visualization.universal_visualizer', 'UniversalVisualizer']
