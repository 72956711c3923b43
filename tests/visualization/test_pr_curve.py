"""P-R curves from pycocotools' COCOeval and mmdet's VOC eval_map: the area under each drawn
curve is the AP the evaluation reports, on the shapes val set with imperfect detections."""
import contextlib
import importlib
import io
import json

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from tests.visualization.detections import imperfect_detections
from zoo.visualization import area_under, coco_pr_curves, plot_pr_curves, voc_pr_curves


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    from zoo.det.synthetic import make_shapes_dataset
    out = tmp_path_factory.mktemp('shapes') / 'shapes'
    make_shapes_dataset(str(out), num_train=1, num_val=40, img_size=128)
    ann_file = out / 'coco' / 'annotations' / 'instances_val.json'
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(ann_file))
    return ann_file, coco


def tool():
    """The command line's module, imported by name from the checkout's ``tools/``."""
    return importlib.import_module('tools.analysis_tools.pr_curve')


def cocoeval(coco, results):
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(coco, coco.loadRes(results), 'bbox')
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation


def test_coco_curves_integrate_to_cocoeval_ap(shapes):
    ann_file, coco = shapes
    evaluation = cocoeval(coco, imperfect_detections(ann_file))
    at_50 = coco_pr_curves(evaluation, 0.5)
    assert [c.name for c in at_50] == ['rectangle', 'ellipse', 'triangle']
    assert np.mean([c.ap for c in at_50]) == pytest.approx(evaluation.stats[1], abs=1e-9)
    averaged = coco_pr_curves(evaluation, None)
    assert np.mean([c.ap for c in averaged]) == pytest.approx(evaluation.stats[0], abs=1e-9)
    for curve in at_50:
        assert area_under(curve) == pytest.approx(curve.ap, abs=1e-9)
        assert np.all(np.diff(curve.precision) <= 1e-12)  # an envelope
        assert 0.4 < curve.ap < 0.95  # missed, mislabelled and false boxes cost AP
    with pytest.raises(ValueError, match='IoU threshold 0.42 is not one of'):
        coco_pr_curves(evaluation, 0.42)


def test_voc_curves_integrate_to_mmdet_ap(shapes):
    ann_file, coco = shapes
    results = imperfect_detections(ann_file)
    curves = tool().voc_curves(coco, results, 0.5, 'area')
    coco_curves = coco_pr_curves(cocoeval(coco, results), 0.5)
    for curve, coco_curve in zip(curves, coco_curves):
        assert area_under(curve) == pytest.approx(curve.ap, abs=1e-6)
        assert np.all(np.diff(curve.precision[:-1]) <= 1e-12)
        assert curve.raw_recall.max() == pytest.approx(curve.recall[-2])
        # the same boxes: VOC's exact area and COCO's 101-point mean agree closely
        assert curve.ap == pytest.approx(coco_curve.ap, abs=0.02)


def test_perfect_detections_score_ap_1_in_both(shapes):
    ann_file, coco = shapes
    gt = json.loads(ann_file.read_text())['annotations']
    perfect = [
        dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'], score=1.0)
        for a in gt
    ]
    assert all(c.ap == 1 for c in coco_pr_curves(cocoeval(coco, perfect), 0.5))
    assert all(c.ap == pytest.approx(1) for c in tool().voc_curves(coco, perfect, 0.5, 'area'))


def test_plot_has_a_filled_panel_a_class_and_the_table(shapes):
    ann_file, coco = shapes
    curves = coco_pr_curves(cocoeval(coco, imperfect_detections(ann_file)), 0.5)
    figure = plot_pr_curves(curves)
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)
    assert pixels.shape == (360, 1600, 3)  # 4 panels of 4 x 3.6 inches, 100 dpi
    height = pixels.shape[0]
    for i, curve in enumerate(curves):
        box = figure.axes[i].get_window_extent()
        panel = pixels[int(height - box.y1) + 2:int(height - box.y0) - 2,
                       int(box.x0) + 2:int(box.x1) - 2]
        colour = 255 * np.array(to_rgb(f'C{i}'))
        line = (np.abs(panel - colour).max(axis=2) < 30).sum()
        shade = (np.abs(panel - (0.25 * colour + 0.75 * 255)).max(axis=2) < 12).sum()
        # the shaded area covers about AP of the panel
        assert line > 200 and shade / panel[..., 0].size == pytest.approx(curve.ap, abs=0.12)
    table = figure.axes[-1].get_window_extent()
    cells = pixels[int(height - table.y1):int(height - table.y0), int(table.x0):int(table.x1)]
    assert (cells.max(axis=2) < 80).sum() > 500  # the table's lines and numbers


def test_voc_curves_need_one_result_a_class():
    with pytest.raises(ValueError, match='2 per-class results for 3 classes'):
        voc_pr_curves([dict(recall=[], precision=[], ap=0, num_gts=0)] * 2, 'abc')
