"""COCO / VOC / YOLO readers and writers: conventions, lossless round trips, broken input."""
import itertools
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from zoo.det.formats import (AnnotationChecker, DetectionSplit, ImageRecord, InvalidAnnotationError,
                             box_from_voc, box_from_yolo, checked_box, coco_dict, convert_dataset,
                             image_size, read_coco, read_split, read_voc, read_yolo, voc_from_box,
                             write_split, yolo_from_box, yolo_label_path)
from zoo.det.formats.yolo import format_yolo_number
from zoo.det.synthetic import make_shapes_dataset


@pytest.fixture(scope='module')
def shapes_root(tmp_path_factory):
    out = tmp_path_factory.mktemp('data') / 'shapes'
    make_shapes_dataset(str(out), num_train=8, num_val=6, img_size=(80, 64), seed=1)
    return out


def write_image(path, width, height, value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((height, width, 3), value, np.uint8))
    return str(path)


# --- conventions ------------------------------------------------------------------------------


def test_voc_values_are_continuous_coordinates_plus_one():
    # mmdet's XMLDataset subtracts 1 from all four values; its pascal_voc.py writes w = xmax - xmin.
    assert box_from_voc(1, 1, 11, 21) == (0, 0, 10, 20)
    assert voc_from_box([0, 0, 10, 20]) == ((1, 1, 11, 21), False)
    assert voc_from_box([0.4, 2.6, 10, 20]) == ((1, 4, 11, 21), True)


def test_yolo_normalisation_round_trips_whole_pixels_exactly():
    width, height = 97, 61  # odd sizes: the normalised values are not short decimals
    for box in ([0, 0, 97, 61], [3, 5, 4, 6], [13, 7, 96, 60], [1, 1, 2, 61]):
        values = [float(format_yolo_number(v)) for v in yolo_from_box(box, width, height)]
        assert box_from_yolo(*values, width, height) == tuple(float(v) for v in box)
    assert format_yolo_number(0.5) == '0.5' and format_yolo_number(1.0) == '1'
    assert format_yolo_number(0.0) == '0' and format_yolo_number(1 / 3) == '0.333333333333'


def test_checked_box_clips_rounding_and_rejects_broken_boxes():
    assert checked_box(-1, -0.5, 31, 20.7, 30, 20) == (0, 0, 30, 20)
    with pytest.raises(InvalidAnnotationError, match='negative or zero size'):
        checked_box(10, 5, 4, 9, 30, 20)
    with pytest.raises(InvalidAnnotationError, match='negative or zero size'):
        checked_box(10, 5, 10, 9, 30, 20)
    with pytest.raises(InvalidAnnotationError, match='outside the 30x20 image'):
        checked_box(10, 5, 32, 9, 30, 20)
    with pytest.raises(InvalidAnnotationError, match='outside'):
        checked_box(-5, -5, -1.5, -2, 30, 20)
    with pytest.raises(InvalidAnnotationError, match='non-finite'):
        checked_box(float('nan'), 0, 3, 3, 30, 20)


def test_yolo_label_path_follows_ultralytics():
    assert yolo_label_path('/d/images/train/a/b.c.jpg') == '/d/labels/train/a/b.c.txt'
    assert yolo_label_path('/images/d/images/x.png') == '/images/d/labels/x.txt'
    with pytest.raises(ValueError, match='"images" folder'):
        yolo_label_path('/d/pictures/x.jpg')


def test_image_size_reads_the_header_and_applies_exif_orientation(tmp_path):
    from PIL import Image
    image = Image.fromarray(np.zeros((20, 40, 3), np.uint8))
    image.save(tmp_path / 'plain.jpg')
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90: cv2/mmcv decode it as 20 wide, 40 high
    image.save(tmp_path / 'rotated.jpg', exif=exif)
    assert image_size(str(tmp_path / 'plain.jpg')) == (40, 20)
    assert image_size(str(tmp_path / 'rotated.jpg')) == (20, 40)
    assert cv2.imread(str(tmp_path / 'rotated.jpg')).shape[:2] == (40, 20)


# --- round trips --------------------------------------------------------------------------------


def coco_content(root, split):
    with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
        content = json.load(f)
    return {key: content[key] for key in ('images', 'annotations', 'categories')}


@pytest.mark.parametrize('via', [('yolo', ), ('voc', ), ('yolo', 'voc'), ('voc', 'yolo')])
def test_coco_round_trips_are_exact_on_the_shapes(shapes_root, tmp_path, via):
    src = str(shapes_root / 'coco')
    current, fmt = src, 'coco'
    for step, target in enumerate(via + ('coco', )):
        out = str(tmp_path / f'{step}_{target}')
        results = convert_dataset(current, out, fmt, target)
        assert set(results) == {'train', 'val'}
        assert all(r['skipped'] == r['rounded'] == r['dropped'] == 0 for r in results.values())
        current, fmt = out, target
    for split in ('train', 'val'):
        assert coco_content(current, split) == coco_content(src, split)
        image = osp.join(current, split, 'val_000000.jpg' if split == 'val' else 'train_000000.jpg')
        assert open(image, 'rb').read() == open(osp.join(src, split, osp.basename(image)),
                                                'rb').read()


@pytest.mark.parametrize('src_fmt, dst_fmt',
                         list(itertools.permutations(('coco', 'voc', 'yolo'), 2)))
def test_every_direction_keeps_boxes_and_classes(shapes_root, tmp_path, src_fmt, dst_fmt):
    out = str(tmp_path / dst_fmt)
    convert_dataset(str(shapes_root / src_fmt), out, src_fmt, dst_fmt)
    for split in ('train', 'val'):
        before = read_split(str(shapes_root / src_fmt), src_fmt, split)
        after = read_split(out, dst_fmt, split)
        assert after.classes == before.classes
        assert [r.file_name for r in after.images] == [r.file_name for r in before.images]
        for a, b in zip(after.images, before.images):
            assert (a.width, a.height) == (b.width, b.height)
            np.testing.assert_array_equal(a.bboxes, b.bboxes)
            np.testing.assert_array_equal(a.labels, b.labels)


@pytest.fixture
def edge_case_coco(tmp_path):
    """Odd image sizes, boxes on every edge, 1-px and fractional boxes, a crowd box, an empty
    image, non-contiguous category ids and a file in a sub-folder."""
    root = tmp_path / 'coco'
    write_image(root / 'train/a.png', 97, 61)
    write_image(root / 'train/b.jpg', 33, 120)
    write_image(root / 'train/sub/c.png', 64, 64)
    images = [
        dict(id=7, file_name='a.png', width=97, height=61),
        dict(id=9, file_name='b.jpg', width=33, height=120),
        dict(id=12, file_name='sub/c.png', width=64, height=64)
    ]
    boxes = [
        (7, 3, [0, 0, 97, 61], 0),  # the whole image
        (7, 8, [96, 60, 1, 1], 0),  # the bottom-right pixel
        (7, 8, [10.25, 3.5, 20.125, 7.75], 0),  # fractional edges
        (7, 3, [40, 20, 10, 10], 1),  # crowd
        (12, 8, [0, 63, 64, 1], 0),  # the bottom row
    ]
    annotations = [
        dict(
            id=i + 100,
            image_id=img,
            category_id=cat,
            bbox=bbox,
            iscrowd=crowd,
            area=bbox[2] * bbox[3]) for i, (img, cat, bbox, crowd) in enumerate(boxes)
    ]
    categories = [dict(id=8, name='dog'), dict(id=3, name='cat')]
    (root / 'annotations').mkdir()
    (root / 'annotations/instances_train.json').write_text(
        json.dumps(dict(images=images, annotations=annotations, categories=categories)))
    return root


def test_edge_cases_through_yolo_and_back(edge_case_coco, tmp_path):
    results = convert_dataset(str(edge_case_coco), str(tmp_path / 'yolo'), 'coco', 'yolo')
    assert results['train']['dropped'] == 1  # the crowd box: YOLO has no ignore flag
    assert (tmp_path / 'yolo/labels/train/b.txt').read_text() == ''  # no objects
    assert (tmp_path / 'yolo/labels/train/sub/c.txt').exists()
    convert_dataset(str(tmp_path / 'yolo'), str(tmp_path / 'back'), 'yolo', 'coco')
    before = read_coco(
        str(edge_case_coco / 'annotations/instances_train.json'), str(edge_case_coco / 'train'))
    after = read_coco(
        str(tmp_path / 'back/annotations/instances_train.json'), str(tmp_path / 'back/train'))
    assert before.classes == after.classes == ('cat', 'dog')  # ordered by the original ids
    assert [r.file_name for r in after.images] == ['a.png', 'b.jpg', 'sub/c.png']
    for a, b in zip(after.images, before.images):
        keep = ~b.ignore_flags
        np.testing.assert_allclose(a.bboxes, b.bboxes[keep], rtol=0, atol=1e-6)
        np.testing.assert_array_equal(a.labels, b.labels[keep])
    # Category ids are renumbered 1..C in class order; the names stay.
    content = json.loads((tmp_path / 'back/annotations/instances_train.json').read_text())
    assert content['categories'] == [dict(id=1, name='cat'), dict(id=2, name='dog')]


def test_edge_cases_through_voc_and_back(edge_case_coco, tmp_path):
    flat = tmp_path / 'flat'  # VOC keeps one flat image folder: leave out the sub-folder image
    data = read_coco(
        str(edge_case_coco / 'annotations/instances_train.json'), str(edge_case_coco / 'train'))
    data.images = data.images[:2]
    write_split(data, str(flat), 'coco', 'train')
    results = convert_dataset(str(flat), str(tmp_path / 'voc'), 'coco', 'voc')
    assert results['train']['rounded'] == 1  # the fractional box
    convert_dataset(str(tmp_path / 'voc'), str(tmp_path / 'back'), 'voc', 'coco')
    after = read_split(str(tmp_path / 'back'), 'coco', 'train')
    a = after.images[0]
    np.testing.assert_array_equal(
        a.bboxes, [[0, 0, 97, 61], [96, 60, 97, 61], [10, 4, 30, 11], [40, 20, 50, 30]])
    np.testing.assert_array_equal(a.ignore_flags, [False, False, False, True])  # difficult
    assert after.classes == ('cat', 'dog')
    with pytest.raises(ValueError, match='flat JPEGImages'):
        convert_dataset(str(edge_case_coco), str(tmp_path / 'voc2'), 'coco', 'voc')


def test_voc_class_order_without_classes_txt(shapes_root, tmp_path):
    import shutil
    shutil.copytree(shapes_root / 'voc', tmp_path / 'voc')
    (tmp_path / 'voc/classes.txt').unlink()  # VOC itself records no class order
    original = read_split(str(shapes_root / 'voc'), 'voc', 'val')
    found = read_split(str(tmp_path / 'voc'), 'voc', 'val')
    assert found.classes == ('ellipse', 'rectangle', 'triangle')  # sorted names
    for a, b in zip(found.images, original.images):
        assert [found.classes[i] for i in a.labels] == [original.classes[i] for i in b.labels]
    given = read_split(str(tmp_path / 'voc'), 'voc', 'val', classes=original.classes)
    assert [r.labels.tolist() for r in given.images] == [r.labels.tolist() for r in original.images]


def test_two_images_of_one_name_in_voc_are_refused(tmp_path):
    root = tmp_path / 'coco'
    for split, value in (('train', 10), ('val', 200)):
        write_image(root / split / 'x.png', 16, 16, value)
        write_split(
            DetectionSplit(('a', ),
                           [ImageRecord('x.png', 16, 16, img_path=str(root / split / 'x.png'))]),
            str(root), 'coco', split)
    with pytest.raises(ValueError, match='two different images'):
        convert_dataset(str(root), str(tmp_path / 'voc'), 'coco', 'voc')


# --- broken input ------------------------------------------------------------------------------


@pytest.fixture
def yolo_root(tmp_path):
    root = tmp_path / 'yolo'
    write_image(root / 'images/train/a.jpg', 100, 50)
    write_image(root / 'images/train/b.jpg', 100, 50)
    (root / 'classes.txt').write_text('cat\ndog\n')
    (root / 'labels/train').mkdir(parents=True)
    (root / 'labels/train/b.txt').write_text('1 0.5 0.5 0.2 0.2\n')
    return root


@pytest.mark.parametrize('line, problem', [
    ('0 0.5 0.5 0.2', 'expected 5 fields'),
    ('0 0.5 0.5 0.2 0.2 0.9', 'expected 5 fields'),
    ('2 0.5 0.5 0.2 0.2', r'class id 2 is out of range \(0..1\)'),
    ('-1 0.5 0.5 0.2 0.2', 'class id -1 is out of range'),
    ('cat 0.5 0.5 0.2 0.2', 'must be an integer'),
    ('0.0 0.5 0.5 0.2 0.2', 'must be an integer'),
    ('0 0.5 0.5 x 0.2', 'must be numbers'),
    ('0 0.5 0.5 -0.2 0.2', 'negative or zero size'),
    ('0 0.5 0.5 0.2 0', 'negative or zero size'),
    ('0 0.95 0.5 0.2 0.2', 'outside the 100x50 image'),
    ('0 0.5 nan 0.2 0.2', 'non-finite'),
])
def test_broken_yolo_lines_name_file_and_line(yolo_root, line, problem):
    label_file = yolo_root / 'labels/train/a.txt'
    label_file.write_text(f'0 0.25 0.5 0.1 0.2\n\n{line}\n1 0.75 0.5 0.1 0.2\n')
    with pytest.raises(InvalidAnnotationError, match=rf'a\.txt, line 3: .*{problem}'):
        read_yolo(str(yolo_root), 'train')
    checker = AnnotationChecker('skip')
    data = read_yolo(str(yolo_root), 'train', checker)
    assert len(checker.skipped) == 1 and 'a.txt, line 3' in checker.skipped[0]
    assert data.images[0].labels.tolist() == [0, 1]  # the good lines stay
    np.testing.assert_allclose(data.images[0].bboxes, [[20, 20, 30, 30], [70, 20, 80, 30]])


def test_yolo_list_naming_a_missing_image(yolo_root):
    (yolo_root / 'train.txt').write_text('images/train/a.jpg\nimages/train/gone.jpg\n'
                                         'images/train/b.jpg\n')
    with pytest.raises(InvalidAnnotationError, match=r'train\.txt, line 2: image file .*gone'):
        read_yolo(str(yolo_root), 'train')
    checker = AnnotationChecker('skip')
    data = read_yolo(str(yolo_root), 'train', checker)
    assert [r.file_name for r in data.images] == ['a.jpg', 'b.jpg'] and len(checker.skipped) == 1


@pytest.fixture
def coco_root(tmp_path):
    root = tmp_path / 'coco'
    write_image(root / 'train/a.png', 40, 30)
    return root


def write_coco_file(root, annotations, images=None):
    images = images or [dict(id=1, file_name='a.png', width=40, height=30)]
    content = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=1, name='cat'), dict(id=2, name='dog')])
    path = root / 'annotations/instances_train.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return str(path)


GOOD_ANN = dict(id=1, image_id=1, category_id=1, bbox=[2, 3, 10, 10], area=100, iscrowd=0)


@pytest.mark.parametrize('bad, problem', [
    (dict(bbox=[5, 5, -3, 4]), 'negative or zero size'),
    (dict(bbox=[35, 5, 10, 4]), 'outside the 40x30 image'),
    (dict(bbox=[5, 5, 4]), r'4 numbers \[x, y, w, h\]'),
    (dict(category_id=5), 'category_id 5 is not in "categories"'),
    (dict(image_id=4), 'image_id 4 is not in "images"'),
])
def test_broken_coco_annotations_name_file_and_id(coco_root, bad, problem):
    ann_file = write_coco_file(coco_root, [GOOD_ANN, dict(GOOD_ANN, id=2, **bad)])
    with pytest.raises(InvalidAnnotationError, match=rf'annotations\[1\] \(id 2\).*{problem}'):
        read_coco(ann_file, str(coco_root / 'train'))
    checker = AnnotationChecker('skip')
    data = read_coco(ann_file, str(coco_root / 'train'), checker)
    assert len(checker.skipped) == 1 and data.images[0].bboxes.tolist() == [[2, 3, 12, 13]]


def test_coco_image_file_missing(coco_root):
    ann_file = write_coco_file(
        coco_root, [GOOD_ANN, dict(GOOD_ANN, id=2, image_id=2)],
        images=[
            dict(id=1, file_name='a.png', width=40, height=30),
            dict(id=2, file_name='gone.png', width=40, height=30)
        ])
    with pytest.raises(InvalidAnnotationError, match=r'images\[1\] \(id 2\): image file .*gone'):
        read_coco(ann_file, str(coco_root / 'train'))
    checker = AnnotationChecker('skip')
    data = read_coco(ann_file, str(coco_root / 'train'), checker)
    assert [r.file_name for r in data.images] == ['a.png'] and len(checker.skipped) == 1


@pytest.fixture
def voc_root(tmp_path):
    root = tmp_path / 'voc'
    write_image(root / 'JPEGImages/a.jpg', 40, 30)
    (root / 'ImageSets/Main').mkdir(parents=True)
    (root / 'ImageSets/Main/train.txt').write_text('a\n')
    (root / 'classes.txt').write_text('cat\ndog\n')
    (root / 'Annotations').mkdir()
    return root


def voc_object(name, xmin, ymin, xmax, ymax):
    return (f'<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{xmin}</xmin>'
            f'<ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>')


@pytest.mark.parametrize('bad, problem', [
    (voc_object('dog', 20, 5, 10, 9), 'negative or zero size'),
    (voc_object('dog', 5, 5, 50, 9), 'outside the 40x30 image'),
    (voc_object('dog', 5, 5, 'ten', 9), 'not a number'),
    (voc_object('cow', 5, 5, 10, 9), "class 'cow' is not one of"),
])
def test_broken_voc_objects_name_file_and_object(voc_root, bad, problem):
    (voc_root / 'Annotations/a.xml').write_text(
        '<annotation><filename>a.jpg</filename><size><width>40</width><height>30</height>'
        f'</size>{voc_object("cat", 1, 1, 11, 11)}{bad}</annotation>')
    with pytest.raises(InvalidAnnotationError, match=rf'a\.xml: object 1 .*{problem}'):
        read_voc(str(voc_root), 'train')
    checker = AnnotationChecker('skip')
    data = read_voc(str(voc_root), 'train', checker)
    assert len(checker.skipped) == 1 and data.images[0].bboxes.tolist() == [[0, 0, 10, 10]]


def test_voc_missing_image_and_missing_xml(voc_root):
    (voc_root / 'ImageSets/Main/train.txt').write_text('a\nb\n')
    (voc_root / 'Annotations/a.xml').write_text('<annotation><filename>gone.jpg</filename>'
                                                '</annotation>')
    with pytest.raises(InvalidAnnotationError, match=r'a\.xml: image file .*gone\.jpg not found'):
        read_voc(str(voc_root), 'train')
    checker = AnnotationChecker('skip')
    assert read_voc(str(voc_root), 'train', checker).images == []
    assert 'gone.jpg' in checker.skipped[0] and 'b.xml: annotation file not found' in \
        checker.skipped[1]


def test_on_error_is_validated():
    with pytest.raises(
            ValueError, match=r"on_error must be one of \('raise', 'skip'\), got 'warn'"):
        AnnotationChecker('warn')


def test_coco_writer_numbers_ids_and_areas():
    data = DetectionSplit(('a', 'b'), [
        ImageRecord('x.jpg', 10, 10, bboxes=[[1, 2, 4, 6], [0.1, 0.2, 0.4, 0.3]], labels=[1, 0]),
        ImageRecord('y.jpg', 10, 10)
    ])
    content = coco_dict(data)
    assert [i['id'] for i in content['images']] == [1, 2]
    assert content['annotations'][0] == dict(
        id=1, image_id=1, category_id=2, bbox=[1, 2, 3, 4], area=12, iscrowd=0)
    assert content['annotations'][1]['bbox'] == [0.1, 0.2, 0.3, 0.1]  # no float noise
