"""YOLOv1: the paper's loss on hand-made cases, the grid assignment, predictions in image
coordinates, and a detector built from its config that loads its backbone from a zoo
classification checkpoint, trains a step and learns a tiny batch."""
import math
import subprocess
import sys
import textwrap

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import zoo.det  # noqa: F401  (registers YOLOV1 and YOLOV1Head)
from tests.conftest import REPO_ROOT
from zoo.det.models.dense_heads import YOLOV1Head
from zoo.det.synthetic import SHAPE_CLASSES, make_shapes_dataset
from zoo.registry import DATASETS, MODELS

VOC_CONFIG = REPO_ROOT / 'configs/yolov1/yolov1_r50_8xb8-135e_voc0712.py'
SHAPES_CONFIG = REPO_ROOT / 'configs/yolov1/yolov1_r18_1xb8-30e_shapes.py'


def make_head(**kwargs) -> YOLOV1Head:
    cfg = dict(
        num_classes=2,
        in_channels=8,
        grid_size=2,
        num_boxes=2,
        feat_channels=8,
        num_convs=0,
        fc_channels=None)
    cfg.update(kwargs)
    return YOLOV1Head(**cfg)


def gt(bboxes, labels) -> InstanceData:
    return InstanceData(
        bboxes=torch.as_tensor(bboxes, dtype=torch.float32),
        labels=torch.as_tensor(labels, dtype=torch.long))


def cell_vector(boxes, class_scores):
    """One cell's raw prediction: B x (x, y, sqrt w, sqrt h, conf), then C class scores."""
    return [v for box in boxes for v in box] + list(class_scores)


# One 64x64 input, S=2, B=2, C=2. The ground truth (8, 8, 40, 24), class 1, has its centre
# (24, 16) -> (0.375, 0.25) of the input in cell row 0, col 0, at (0.75, 0.5) of the cell;
# w, h = 0.5, 0.25 of the input.
GT_BOX, GT_LABEL = [8., 8., 40., 24.], 1
META = dict(batch_input_shape=(64, 64), img_shape=(64, 64), scale_factor=(1., 1.))
PRED_0 = (0.5, 0.5, 0.6, 0.5, 0.8)  # centre (0.25, 0.25), w 0.36, h 0.25: overlaps the gt
PRED_1 = (0.9, 0.9, 0.3, 0.3, 0.4)  # centre (0.45, 0.45), w = h = 0.09: below the gt, IoU 0
EMPTY_CONF = 0.1
CLASS_SCORES = (0.3, 0.6)


def hand_made_pred() -> torch.Tensor:
    empty = cell_vector([(0.5, 0.5, 0.2, 0.2, EMPTY_CONF)] * 2, (0.7, -0.2))
    cells = [[cell_vector([PRED_0, PRED_1], CLASS_SCORES), empty], [empty, empty]]
    return torch.tensor([cells])  # (1, S, S, B * 5 + C)


def test_loss_equals_the_paper_formula_by_hand():
    head = make_head()
    losses = head.loss_by_feat(hand_made_pred(), [gt([GT_BOX], [GT_LABEL])], [META])

    # IoU of predictor 0 with the gt, in fractions of the input:
    # pred x 0.07..0.43, y 0.125..0.375; gt x 0.125..0.625, y 0.125..0.375
    inter = (0.43 - 0.125) * (0.375 - 0.125)
    iou = inter / (0.36 * 0.25 + 0.5 * 0.25 - inter)
    expected = dict(
        loss_xy=5.0 * ((0.5 - 0.75)**2 + (0.5 - 0.5)**2),
        loss_wh=5.0 * ((0.6 - math.sqrt(0.5))**2 + (0.5 - math.sqrt(0.25))**2),
        loss_obj=(0.8 - iou)**2,
        # predictor 1 of the object cell and both predictors of the 3 empty cells
        loss_noobj=0.5 * (0.4**2 + 6 * EMPTY_CONF**2),
        # only the object cell's class scores count; target one-hot (0, 1)
        loss_cls=(0.3 - 0)**2 + (0.6 - 1)**2)
    assert set(losses) == set(expected)
    for name, value in expected.items():
        assert losses[name].item() == pytest.approx(value, rel=1e-5), name

    without_rescore = make_head(rescore=False).loss_by_feat(hand_made_pred(),
                                                            [gt([GT_BOX], [GT_LABEL])], [META])
    assert without_rescore['loss_obj'].item() == pytest.approx((0.8 - 1.0)**2, rel=1e-5)


def test_loss_is_a_mean_over_images_and_zero_objects_leave_only_noobj():
    head = make_head()
    pred = hand_made_pred()
    single = head.loss_by_feat(pred, [gt([GT_BOX], [GT_LABEL])], [META])
    pair = head.loss_by_feat(pred.repeat(2, 1, 1, 1), [gt([GT_BOX], [GT_LABEL])] * 2, [META] * 2)
    for name in single:
        torch.testing.assert_close(pair[name], single[name])

    empty = head.loss_by_feat(pred, [gt(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))],
                              [META])
    assert empty['loss_noobj'].item() == pytest.approx(0.5 * (0.8**2 + 0.4**2 + 6 * 0.01))
    for name in ('loss_xy', 'loss_wh', 'loss_obj', 'loss_cls'):
        assert empty[name].item() == 0


def test_assignment_cell_and_responsible_predictor():
    head = make_head(grid_size=4, num_boxes=2, num_classes=3)
    s, b = 4, 2
    boxes = torch.zeros(1, s, s, b, 4)
    # (row 1, col 2) holds a gt centred at (40, 24) of 64 px: (0.625, 0.375) -> cell offset
    # (0.5, 0.5). Predictor 1 sits on it, predictor 0 is far: predictor 1 is responsible.
    boxes[0, 1, 2, 0] = torch.tensor([0.0, 0.0, 0.1, 0.1])
    boxes[0, 1, 2, 1] = torch.tensor([0.5, 0.5, 0.5, 0.5])
    # (row 3, col 0) holds two centres; the larger box (label 2) wins the cell. Neither
    # predictor overlaps it (predictor 0 is a speck just below it, predictor 1 has no area), so
    # the closer one in (x, y, sqrt w, sqrt h) is chosen: predictor 0.
    boxes[0, 3, 0, 0] = torch.tensor([0.9, 0.9, 0.01, 0.01])
    boxes[0, 3, 0, 1] = torch.tensor([0.0, 0.0, 0.0, 0.0])
    gts = gt(
        [
            [32., 16., 48., 32.],  # centre (40, 24), 16x16
            [2., 50., 14., 62.],  # centre (8, 56), 12x12, label 1
            [0., 50., 16., 62.]
        ],  # centre (8, 56), 16x12, label 2: larger
        [0, 1, 2])
    t = head.get_targets(boxes, [gts], [META])

    expected_cells = torch.zeros(1, s, s, dtype=torch.bool)
    expected_cells[0, 1, 2] = expected_cells[0, 3, 0] = True
    assert torch.equal(t['obj_cells'], expected_cells)
    assert t['labels'][0, 1, 2] == 0 and t['labels'][0, 3, 0] == 2
    torch.testing.assert_close(t['box_targets'][0, 1, 2],
                               torch.tensor([0.5, 0.5, 0.5, 0.5]))  # sqrt(16 / 64) = 0.5
    torch.testing.assert_close(t['box_targets'][0, 3, 0],
                               torch.tensor([0.5, 0.5, 0.5, math.sqrt(12 / 64)]))
    expected_resp = torch.zeros(1, s, s, b, dtype=torch.bool)
    expected_resp[0, 1, 2, 1] = expected_resp[0, 3, 0, 0] = True
    assert torch.equal(t['responsible'], expected_resp)
    assert t['ious'][0, 1, 2, 1].item() == pytest.approx(1.0)
    assert t['ious'][0, 3, 0].sum().item() == 0
    assert t['ious'][~expected_cells].sum().item() == 0


def test_predict_returns_class_specific_scores_in_image_coordinates():
    head = make_head(
        test_cfg=dict(score_thr=0.1, nms=dict(type='nms', iou_threshold=0.5), max_per_img=10))
    pred = torch.zeros(1, 2, 2, 2 * 5 + 2)
    # cell (row 1, col 0), predictor 1: centre (0.5 + 0, 0.5 + 1) / 2 of a 64x64 input = (16, 48),
    # w = 0.5^2 = 0.25 -> 16 px, h = 0.6^2 = 0.36 -> 23.04 px; conf 0.9, p(class 1) 0.8
    pred[0, 1, 0, 5:10] = torch.tensor([0.5, 0.5, 0.5, 0.6, 0.9])
    pred[0, 1, 0, 10:] = torch.tensor([0.1, 0.8])
    # cell (0, 1), predictor 0: a box that runs past the image's right edge (centre (56, 16) px,
    # w = 0.9^2 * 64 = 51.84 px, h = 0.5^2 * 64 = 16 px), conf 0.5, p(class 0) 0.6
    pred[0, 0, 1, 0:5] = torch.tensor([0.75, 0.5, 0.9, 0.5, 0.5])
    pred[0, 0, 1, 10:] = torch.tensor([0.6, 0.0])
    # The image was resized by 2 into 64x60 and padded to 64x64.
    meta = dict(batch_input_shape=(64, 64), img_shape=(64, 60), scale_factor=(2.0, 2.0))

    plain, = head.predict_by_feat(pred, [meta], rescale=False)
    order = plain.scores.argsort(descending=True)
    assert plain.labels[order].tolist() == [1, 0]
    torch.testing.assert_close(plain.scores[order], torch.tensor([0.9 * 0.8, 0.5 * 0.6]))
    first = torch.tensor([16 - 8, 48 - 11.52, 16 + 8, 48 + 11.52])
    second = torch.tensor([56 - 25.92, 16 - 8, 60, 16 + 8])  # x2 clipped to img width 60
    torch.testing.assert_close(plain.bboxes[order], torch.stack([first, second]))
    # p(class 0) * conf of the first box (0.1 * 0.9) is below score_thr: no third detection.

    rescaled, = head.predict_by_feat(pred, [meta], rescale=True)
    torch.testing.assert_close(rescaled.bboxes[rescaled.scores.argsort(descending=True)],
                               torch.stack([first, second]) / 2)


def test_predict_suppresses_overlapping_boxes_per_class_only():
    head = make_head(
        num_boxes=2,
        test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.5), max_per_img=10))
    pred = torch.zeros(1, 2, 2, 12)
    same_box = [0.5, 0.5, 0.5, 0.5]
    pred[0, 0, 0, 0:5] = torch.tensor(same_box + [0.9])
    pred[0, 0, 0, 5:10] = torch.tensor(same_box + [0.6])  # a duplicate of predictor 0
    pred[0, 0, 0, 10:] = torch.tensor([1.0, 0.5])  # both classes plausible
    result, = head.predict_by_feat(pred, [META])
    # per class, the duplicate is suppressed; across classes both boxes stay
    order = result.labels.argsort()
    assert result.labels[order].tolist() == [0, 1]
    torch.testing.assert_close(result.scores[order], torch.tensor([0.9 * 1.0, 0.9 * 0.5]))


def test_head_rejects_bad_options():
    with pytest.raises(ValueError, match='grid_size must be a positive int'):
        make_head(grid_size=0)
    with pytest.raises(KeyError, match=r"test_cfg lacks \['nms'\]"):
        make_head(test_cfg=dict(score_thr=0.1, max_per_img=5))
    with pytest.raises(ValueError, match='one feature map, got 2'):
        make_head()((torch.rand(1, 8, 4, 4), torch.rand(1, 8, 2, 2)))


def tiny_detector_cfg(**head):
    bbox_head = dict(
        type='zoo.YOLOV1Head',
        num_classes=3,
        in_channels=512,
        grid_size=4,
        feat_channels=32,
        num_convs=1,
        fc_channels=None)
    bbox_head.update(head)
    return dict(
        type='zoo.YOLOV1',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[128.] * 3,
            std=[64.] * 3,
            bgr_to_rgb=True,
            pad_size_divisor=32),
        backbone=dict(type='zoo.ResNet', depth=18, out_indices=(3, )),
        bbox_head=bbox_head,
        test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.5), max_per_img=20))


def make_batch(num_images=2, size=64, seed=0):
    """Bright rectangles on a dark background, the box of each as its ground truth."""
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(num_images):
        img = torch.randint(0, 40, (3, size, size), dtype=torch.uint8, generator=generator)
        x1, y1 = 4 + 8 * i, 6 + 4 * i
        x2, y2 = x1 + size // 2, y1 + size // 3
        img[:, y1:y2, x1:x2] = 220
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size), ori_shape=(size, size), scale_factor=(1., 1.), img_id=i))
        sample.gt_instances = gt([[x1, y1, x2, y2]], [i % 3])
        inputs.append(img)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build_detector(cfg):
    # mmdet's scope, as a config's default_scope sets it; restored afterwards for other tests
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)


def test_detector_checks_head_channels():
    with pytest.raises(
            ValueError,
            match='head reads one feature map of 256 channels but the '
            r'backbone returns 1 map\(s\) of \(512,\) channels'):
        build_detector(tiny_detector_cfg(in_channels=256))


def test_loss_falls_on_a_tiny_batch():
    torch.manual_seed(0)
    detector = build_detector(tiny_detector_cfg())
    detector.init_weights()
    optim_wrapper = OptimWrapper(torch.optim.SGD(detector.parameters(), lr=0.002, momentum=0.9))
    batch = make_batch()
    first = detector.train_step(batch, optim_wrapper)
    assert set(first) >= {'loss_xy', 'loss_wh', 'loss_obj', 'loss_noobj', 'loss_cls'}
    first = first['loss'].item()
    for _ in range(15):
        log_vars = detector.train_step(batch, optim_wrapper)
    assert math.isfinite(log_vars['loss'].item())
    assert log_vars['loss'].item() < 0.25 * first  # about 7 -> 0.5 over seeds 0-2

    detector.eval()
    with torch.no_grad():
        results = detector.test_step(batch)
    for result, sample in zip(results, batch['data_samples']):
        assert result.pred_instances.bboxes.shape[1] == 4 and len(result.pred_instances) >= 1
        assert result.pred_instances.scores.max() > 0.01


def test_voc_config_loads_backbone_from_classification_checkpoint_and_trains(tmp_path):
    """The shipped config, with a small head: its ResNet-50 starts from a zoo ImageClassifier's
    checkpoint (prefix 'backbone.'), every new layer and every unfrozen backbone layer gets a
    gradient, and prediction returns boxes in the original image's coordinates."""
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('zoo'):
        classifier = MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=dict(type='ResNet', depth=50),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=2048)))
    checkpoint = tmp_path / 'resnet50_cls.pth'
    torch.save(dict(state_dict=classifier.state_dict(), meta=dict()), checkpoint)

    cfg = Config.fromfile(VOC_CONFIG)
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'  # the recipe starts from ImageNet
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(checkpoint), prefix='backbone.')
    cfg.model.bbox_head.update(feat_channels=32, num_convs=1, fc_channels=32)  # CPU-sized
    cfg.model.test_cfg.score_thr = -1.0  # keep every box of the untrained head
    assert cfg.default_scope == 'mmdet'
    detector = build_detector(cfg.model)
    detector.init_weights()
    head = detector.bbox_head
    assert (head.num_classes, head.grid_size, head.num_boxes) == (20, 7, 2)
    assert (head.lambda_coord, head.lambda_noobj) == (5.0, 0.5)

    for key, value in detector.backbone.state_dict().items():
        torch.testing.assert_close(value, classifier.state_dict()[f'backbone.{key}'], msg=key)

    detector.train()
    data = detector.data_preprocessor(make_batch(size=64), training=True)
    loss, _ = detector.parse_losses(detector(**data, mode='loss'))
    assert math.isfinite(loss.item()) and loss.item() > 0
    loss.backward()
    frozen = tuple(detector.backbone.frozen_modules())
    frozen_params = {id(p) for m in frozen for p in m.parameters()}
    assert frozen_params  # the recipe freezes the stem and layer1, as mmdet's R-50 detectors
    for name, param in detector.named_parameters():
        if id(param) in frozen_params:
            assert param.grad is None, name
        else:
            assert param.grad is not None and param.grad.abs().sum() > 0, name

    # A 128x96 image resized by 0.5 to 64x48 and padded to 64x64: boxes come back in 128x96.
    detector.eval()
    sample = DetDataSample(
        metainfo=dict(img_shape=(48, 64), ori_shape=(96, 128), scale_factor=(0.5, 0.5), img_id=0))
    image = torch.randint(0, 255, (3, 48, 64), dtype=torch.uint8)
    with torch.no_grad():
        raw = detector.data_preprocessor(dict(inputs=[image], data_samples=[sample]))
        pred, = detector(raw['inputs'], mode='tensor')
        unscaled, = detector.bbox_head.predict_by_feat(
            pred, [raw['data_samples'][0].metainfo], rescale=False)
        result, = detector.test_step(dict(inputs=[image], data_samples=[sample]))
    assert tuple(raw['inputs'].shape[-2:]) == (64, 64)
    boxes = result.pred_instances.bboxes
    assert len(boxes) > 0
    torch.testing.assert_close(boxes, unscaled.bboxes * 2)
    assert boxes[:, 0::2].max() <= 128 and boxes[:, 1::2].max() <= 96


def test_config_pulls_detection_in_only_through_custom_imports():
    """`import zoo.models` (classification) stays free of mmdet; the config's custom_imports
    bring the detector in, in a fresh interpreter."""
    script = textwrap.dedent(f'''
        import sys
        import zoo.models
        assert 'mmdet' not in sys.modules, 'zoo.models imported mmdet'
        from mmengine.config import Config
        cfg = Config.fromfile({str(VOC_CONFIG)!r})
        assert 'zoo.det' in sys.modules
        from mmdet.registry import MODELS
        print(MODELS.get(cfg.model.type).__module__, MODELS.get(cfg.model.bbox_head.type).__name__)
    ''')
    result = subprocess.run([sys.executable, '-c', script],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['zoo.det.models.detectors.yolov1', 'YOLOV1Head']


def test_shapes_config_trains_and_evaluates_through_mmdet_data_and_metric(tmp_path):
    """The shapes config end to end on a tiny generated set: mmdet's CocoDataset and pipeline,
    a training step, predictions mapped back to the 64 px originals, pycocotools' mAP."""
    make_shapes_dataset(str(tmp_path / 'shapes'), num_train=2, num_val=2, img_size=64, seed=0)
    root = str(tmp_path / 'shapes/coco') + '/'
    cfg = Config.fromfile(SHAPES_CONFIG)
    assert tuple(cfg.classes) == SHAPE_CLASSES  # the generator's class names, in its order
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.dataset.data_root = root
    cfg.val_evaluator.ann_file = root + 'annotations/instances_val.json'
    cfg.model.test_cfg.score_thr = 0.0  # an almost untrained model: keep its boxes

    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        train_set = DATASETS.build(cfg.train_dataloader.dataset)
        val_set = DATASETS.build(cfg.val_dataloader.dataset)
        detector = MODELS.build(cfg.model)
        detector.init_weights()
        evaluator = Evaluator(cfg.val_evaluator)
    evaluator.dataset_meta = val_set.metainfo

    optim_wrapper = OptimWrapper(torch.optim.SGD(detector.parameters(), lr=0.002, momentum=0.9))
    train_batch = pseudo_collate([train_set[i] for i in range(len(train_set))])
    assert tuple(train_batch['inputs'][0].shape[-2:]) == (256, 256)  # the config's input size
    log_vars = detector.train_step(train_batch, optim_wrapper)
    assert math.isfinite(log_vars['loss'].item())

    detector.eval()
    val_batch = pseudo_collate([val_set[i] for i in range(len(val_set))])
    with torch.no_grad():
        outputs = detector.test_step(val_batch)
    for output in outputs:
        boxes = output.pred_instances.bboxes
        assert len(boxes) > 0 and output.ori_shape == (64, 64)
        assert boxes.min() >= 0 and boxes.max() <= 64  # rescaled from 256 px to the original
    evaluator.process(data_samples=outputs, data_batch=val_batch)
    metrics = evaluator.evaluate(len(val_set))
    assert 0 <= metrics['coco/bbox_mAP_50'] <= 1
