"""The lens-distortion transforms against OpenCV's camera model, on images, boxes and masks."""
import cv2
import numpy as np
import pytest

from zoo.datasets.transforms import LensDistortion, LensUndistort, RandomLensDistortion
from zoo.datasets.transforms.camera import LensModel, default_camera_matrix
from zoo.det.synthetic import draw_shapes_sample
from zoo.registry import TRANSFORMS

H, W = 240, 320
BARREL = (-0.35, 0., 0., 0., 0.)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod()
    union = (a[2:] - a[:2]).prod() + (b[2:] - b[:2]).prod() - inter
    return float(inter / union)


def tight_box(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def textured(height: int = H, width: int = W) -> np.ndarray:
    """A smooth image (so that bilinear resampling twice stays close to it)."""
    y, x = np.mgrid[:height, :width]
    img = np.stack([
        127 + 100 * np.sin(x / 11.), 127 + 100 * np.cos(y / 13.), 127 + 60 * np.sin((x + y) / 17.)
    ], -1)
    return img.astype(np.uint8)


def test_zero_coefficients_leave_the_image_unchanged():
    img = np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)
    out = LensDistortion(dist_coeffs=(0, 0, 0, 0, 0))(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.abs(out.astype(int) - img).max() <= 1


@pytest.mark.parametrize('coeffs', [(-0.3, 0.05, 0.002, -0.003, 0.), (0.5, 0., 0., 0., 0.05)])
def test_a_bright_square_moves_where_project_points_sends_its_centre(coeffs):
    centre = np.array([262., 60.])  # near the top-right corner, where the lens moves it most
    img = np.zeros((H, W), np.uint8)
    img[57:64, 259:266] = 255  # 7x7, centred at (262, 60)
    out = LensDistortion(dist_coeffs=coeffs)(dict(img=img))['img'].astype(np.float64)
    ys, xs = np.mgrid[:H, :W]
    found = np.array([(xs * out).sum(), (ys * out).sum()]) / out.sum()

    K = default_camera_matrix(H, W)
    normalised = np.append((centre - K[:2, 2]) / K[0, 0], 1.)
    expected, _ = cv2.projectPoints(normalised[None], np.zeros(3), np.zeros(3), K, np.array(coeffs))
    assert np.linalg.norm(expected.ravel() - centre) > 5  # the lens does move it
    assert np.linalg.norm(found - expected.ravel()) <= 1.0


def test_the_box_of_a_small_square_near_the_corner_encloses_its_distorted_pixels():
    mask = np.zeros((H, W), np.uint8)
    mask[8:15, 300:307] = 1  # 7 px near the top-right corner
    box = tight_box(mask)
    out = LensDistortion(dist_coeffs=BARREL)(
        dict(
            img=mask * 255, gt_bboxes=box[None].astype(np.float32), gt_bboxes_labels=np.array([2])))
    distorted = tight_box(out['img'] > 127)
    assert np.abs(distorted - box).max() > 10  # barrel distortion pulls it far in
    assert box_iou(out['gt_bboxes'][0], distorted) >= 0.7
    assert out['gt_bboxes_labels'].tolist() == [2]


def test_boxes_of_shapes_match_their_distorted_masks():
    rng = np.random.default_rng(3)
    ious = []
    for _ in range(6):
        sample = draw_shapes_sample(rng, width=W, height=H)
        t = LensDistortion(dist_coeffs=(-0.25, 0.03, 0.001, 0.001, 0.))
        out = t(
            dict(
                img=sample.image,
                gt_bboxes=sample.bboxes.astype(np.float32),
                gt_bboxes_labels=sample.labels,
                gt_ignore_flags=np.zeros(len(sample.labels), bool)))
        assert len(out['gt_bboxes']) == len(sample.bboxes)  # the shapes stay inside
        for box, mask in zip(out['gt_bboxes'], sample.masks):
            moved = t._remap(mask.astype(np.uint8), *t._maps_cache[(H, W)], cv2.INTER_NEAREST, 0)
            ious.append(box_iou(box, tight_box(moved)))
    assert min(ious) >= 0.9, ious


def test_undistort_inverts_distort_in_the_central_region():
    img = textured()
    K = np.array([[300., 0., 161.], [0., 290., 118.], [0., 0., 1.]])
    coeffs = (-0.2, 0.05, 0.001, -0.002, 0.)
    distorted = LensDistortion(dist_coeffs=coeffs, camera_matrix=K)(dict(img=img))['img']
    restored = LensUndistort(dist_coeffs=coeffs, camera_matrix=K)(dict(img=distorted))['img']
    centre = (slice(H // 4, 3 * H // 4), slice(W // 4, 3 * W // 4))
    diff = np.abs(restored[centre].astype(int) - img[centre])
    assert np.abs(distorted.astype(int) - img).mean() > 10  # it did distort
    assert diff.mean() < 1.5 and diff.max() <= 12  # two bilinear resamplings


def test_undistort_matches_opencv_undistort_and_moves_boxes_back():
    img = textured()
    K = default_camera_matrix(H, W)
    coeffs = np.array([0.2, -0.05, 0., 0., 0.])
    out = LensUndistort(dist_coeffs=coeffs, camera_matrix=K)(dict(img=img))['img']
    # cv2.undistort interpolates with fixed-point maps (1/32 px), the transform with float ones.
    diff = np.abs(out.astype(int) - cv2.undistort(img, K, coeffs))
    assert diff.mean() < 0.5 and diff.max() <= 6

    box = np.array([[40., 30., 90., 70.]], np.float32)
    there = LensDistortion(
        dist_coeffs=coeffs, camera_matrix=K)(dict(img=img, gt_bboxes=box.copy()))['gt_bboxes']
    back = LensUndistort(
        dist_coeffs=coeffs, camera_matrix=K)(dict(img=img, gt_bboxes=there))['gt_bboxes']
    # The enclosing box of an enclosing box grows a little where the edges bend.
    assert np.abs(there - box).max() > 3 and np.abs(back - box).max() < 2.5


def test_boxes_that_leave_the_image_are_clipped_or_dropped_with_their_labels():
    boxes = np.array([[0., 0., 6., 6.], [100., 80., 200., 160.], [300., 0., 320., 80.]], np.float32)
    out = LensDistortion(
        dist_coeffs=(0.6, 0., 0., 0., 0.), min_bbox_size=2)(
            dict(
                img=np.zeros((H, W, 3), np.uint8),
                gt_bboxes=boxes,
                gt_bboxes_labels=np.array([0, 1, 2]),
                gt_ignore_flags=np.array([False, True, False])))
    # Pincushion pushes the corner box out of the image: it goes, with its label and flag.
    assert out['gt_bboxes_labels'].tolist() == [1, 2]
    assert out['gt_ignore_flags'].tolist() == [True, False]
    kept = out['gt_bboxes']
    assert kept[:, 0::2].min() >= 0 and kept[:, 0::2].max() <= W
    assert kept[:, 1::2].min() >= 0 and kept[:, 1::2].max() <= H
    assert kept[1, 2] == W  # the right box is clipped at the border


def test_random_distortion_draws_barrel_and_pincushion_and_crop_to_valid_leaves_no_border():
    t = RandomLensDistortion(k1=(-0.4, 0.4), prob=1.0)
    np.random.seed(0)
    draws = [t._draw()[0] for _ in range(200)]
    assert min(draws) < -0.3 and max(draws) > 0.3 and -0.1 < np.mean(draws) < 0.1

    img = np.full((H, W, 3), 255, np.uint8)
    plain = RandomLensDistortion(k1=(-0.4, -0.3), prob=1.0)(dict(img=img.copy()))['img']
    cropped = RandomLensDistortion(
        k1=(-0.4, -0.3), prob=1.0, crop_to_valid=True)(dict(img=img.copy()))['img']
    assert (plain == 0).all(axis=-1).sum() > 1000  # barrel distortion leaves black corners
    assert cropped.min() == 255  # zoomed: none left

    np.random.seed(1)
    untouched = RandomLensDistortion(prob=0.0)(dict(img=img.copy()))['img']
    assert (untouched == img).all()


def test_random_distortion_is_reproducible_with_numpy_seed():
    img = textured()
    t = RandomLensDistortion(k1=(-0.3, 0.3), p1=(-0.01, 0.01), prob=1.0)
    np.random.seed(5)
    a = t(dict(img=img.copy()))['img']
    np.random.seed(5)
    b = t(dict(img=img.copy()))['img']
    assert (a == b).all()


def test_masks_follow_the_image():
    from mmdet.structures.bbox import HorizontalBoxes
    from mmdet.structures.mask import BitmapMasks, PolygonMasks
    sample = draw_shapes_sample(np.random.default_rng(1), width=W, height=H)
    n = len(sample.labels)
    t = LensDistortion(dist_coeffs=(-0.3, 0., 0., 0., 0.))
    polygons = [[np.array([b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]])] for b in sample.bboxes]
    out = t(
        dict(
            img=sample.image,
            gt_bboxes=HorizontalBoxes(sample.bboxes.astype(np.float32)),
            gt_bboxes_labels=sample.labels,
            gt_masks=BitmapMasks(sample.masks, H, W)))
    assert isinstance(out['gt_bboxes'], HorizontalBoxes) and len(out['gt_bboxes']) == n
    assert isinstance(out['gt_masks'], BitmapMasks) and out['gt_masks'].masks.shape == (n, H, W)
    for box, mask in zip(out['gt_bboxes'].numpy(), out['gt_masks'].masks):
        assert box_iou(box, tight_box(mask)) >= 0.9

    out = t(
        dict(
            img=sample.image,
            gt_bboxes=sample.bboxes.astype(np.float32),
            gt_masks=PolygonMasks(polygons, H, W)))
    moved = np.stack([p[0].reshape(-1, 2) for p in out['gt_masks'].masks])
    # A box's corners go where the transform's enclosing box has its extremes.
    assert np.abs(moved.min(1) - out['gt_bboxes'][:, :2]).max() < 1.0


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match='dist_coeffs'):
        LensDistortion(dist_coeffs=(0.1, 0.2))
    with pytest.raises(ValueError, match='camera_matrix'):
        LensDistortion(dist_coeffs=BARREL, camera_matrix=np.eye(2))
    with pytest.raises(ValueError, match='k2'):
        RandomLensDistortion(k2=(0.1, -0.1))
    with pytest.raises(ValueError, match='interpolation'):
        LensUndistort(dist_coeffs=BARREL, interpolation='cubic-ish')
    with pytest.raises(ValueError, match='gt_bboxes'):
        LensDistortion(dist_coeffs=BARREL)(
            dict(img=np.zeros((8, 8), np.uint8), gt_bboxes=np.zeros((2, 5), np.float32)))


def test_registered_and_usable_in_a_classification_pipeline():
    from mmengine.dataset import Compose
    pipeline = Compose([
        TRANSFORMS.build(dict(type='RandomLensDistortion', prob=1.0, crop_to_valid=True)),
        TRANSFORMS.build(dict(type='PackClsInputs')),
    ])
    packed = pipeline(dict(img=textured(), gt_label=3))
    assert tuple(packed['inputs'].shape) == (3, H, W)


def test_lens_model_round_trips_points():
    lens = LensModel((-0.3, 0.08, 0.002, -0.001, 0.01), default_camera_matrix(H, W))
    points = np.random.default_rng(0).uniform([0, 0], [W, H], (500, 2))
    assert np.abs(lens.undistort_points(lens.distort_points(points)) - points).max() < 1e-6


@pytest.mark.parametrize('k1', [-0.35, 0.3])
def test_interpolated_distortion_maps_equal_the_dense_ones_where_they_sample_the_image(k1):
    lens = LensModel((k1, 0.05, 0.001, 0.001, 0.), default_camera_matrix(480, 640))
    fast_x, fast_y = lens.distortion_maps(480, 640)
    dense_x, dense_y = lens.distortion_maps(480, 640, step=1)
    inside = (dense_x >= 0) & (dense_x <= 639) & (dense_y >= 0) & (dense_y <= 479)
    error = np.maximum(np.abs(fast_x - dense_x), np.abs(fast_y - dense_y))[inside]
    assert inside.mean() > 0.7 and error.max() < 0.1


def test_the_lens_recipe_distorts_shapes_inside_mmdets_pipeline(tmp_path):
    """The shipped lens config's training data: mmdet's CocoDataset and pipeline on generated
    shapes, zoo.RandomLensDistortion between loading and resizing: boxes keep mmdet's types,
    stay inside the image, keep their labels and flags aligned, and move."""
    from mmdet.registry import DATASETS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from tests.conftest import REPO_ROOT
    from zoo.det.synthetic import make_shapes_dataset
    make_shapes_dataset(str(tmp_path / 'shapes'), num_train=8, num_val=2, img_size=128, seed=0)
    cfg = Config.fromfile(REPO_ROOT / 'configs/retinanet/'
                          'retinanet_r18_fpn_gn-head_1xb8-6e-lens_shapes.py')
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = str(tmp_path / 'shapes/coco') + '/'
    lens_cfg = next(t for t in dataset_cfg.pipeline if 'Lens' in t['type'])
    lens_cfg.prob = 1.0
    # Stop before Resize, so the boxes can be compared with the image at its own size.
    dataset_cfg.pipeline = dataset_cfg.pipeline[:dataset_cfg.pipeline.index(lens_cfg) + 1]
    init_default_scope('mmdet')
    dataset = DATASETS.build(dataset_cfg)
    np.random.seed(0)
    moved = 0
    for index in range(len(dataset)):
        raw = dataset.get_data_info(index)
        sample = dataset[index]
        boxes = sample['gt_bboxes'].numpy()
        assert type(sample['gt_bboxes']).__name__ == 'HorizontalBoxes'
        assert len(boxes) == len(sample['gt_bboxes_labels']) == len(sample['gt_ignore_flags'])
        assert (boxes[:, 2:] <= 128).all() and (boxes[:, :2] >= 0).all()
        original = np.array([inst['bbox'] for inst in raw['instances']])
        if len(boxes) == len(original):
            moved += int(np.abs(boxes - original).max() > 1)
    assert moved >= len(dataset) // 2  # the lens moved the boxes of most images
