"""zoo's VOC (multi-label classification) against mmpretrain 1.2.0's, on a VOC2007-layout
folder of real JPEG and XML files; and its errors on bad files."""
import os
import os.path as osp

import pytest
import torch

from tests.parity.mmpretrain_sweep import VOC_OBJECTS, config_root, write_voc
from tests.parity.peers import mmpretrain_build, zoo_build

LAYOUTS = [
    dict(split='trainval'),
    dict(split='train'),
    dict(split='val'),
    dict(split='test'),
    # mmpretrain's form without a split: the image set file and both folders given
    dict(
        split='',
        image_set_path='ImageSets/Main/test.txt',
        data_prefix=dict(img_path='JPEGImages', ann_path='Annotations')),
    # a test set without annotations: the image folder alone
    dict(split='test', data_prefix='JPEGImages', test_mode=True),
    # a subset of the classes: other objects are dropped
    dict(split='trainval', metainfo=dict(classes=('person', 'cat', 'bird', 'dog'))),
]


@pytest.fixture(scope='module')
def voc_root(tmp_path_factory):
    return write_voc(str(tmp_path_factory.mktemp('voc') / 'VOC2007'), num_trainval=8, num_test=4)


def _samples(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


@pytest.mark.parametrize('layout', LAYOUTS, ids=str)
def test_voc_equals_mmpretrain(voc_root, layout):
    cfg = dict(type='VOC', data_root=voc_root, **layout)
    ours, peer = zoo_build('DATASETS', cfg), mmpretrain_build('DATASETS', cfg)
    assert ours.metainfo['classes'] == tuple(peer.metainfo['classes'])
    assert len(ours) == len(peer) > 0
    annotated = layout.get('test_mode') is not True
    for mine, theirs in zip(_samples(ours), _samples(peer)):
        assert mine['img_path'] == theirs['img_path'] and osp.isfile(mine['img_path'])
        for key in ('gt_label', 'gt_label_difficult'):
            if annotated:  # mmpretrain's lists come from a set: compare them sorted
                assert mine[key] == sorted(theirs[key]), key
            else:
                assert mine[key] is None and theirs[key] is None
    if annotated:
        assert [ours.get_cat_ids(i) for i in range(len(ours))
                ] == [sorted(peer.get_cat_ids(i)) for i in range(len(peer))]


def test_voc_labels_follow_the_xml(voc_root):
    """gt_label: classes of objects that are not difficult; gt_label_difficult: of those that
    are (a class can be in both, as in mmpretrain)."""
    dataset = zoo_build('DATASETS', dict(type='VOC', data_root=voc_root, split='trainval'))
    index = dataset.class_to_idx
    for i, sample in enumerate(_samples(dataset)):
        objects = VOC_OBJECTS[i % len(VOC_OBJECTS)]
        assert sample['gt_label'] == sorted({index[n] for n, d in objects if not d})
        assert sample['gt_label_difficult'] == sorted({index[n] for n, d in objects if d})
    assert dataset.get_data_info(1)['gt_label'] == dataset.get_data_info(
        1)['gt_label_difficult'] == [index['cat']]
    assert dataset.get_data_info(3)['gt_label'] == []  # difficult objects only
    by_ann_file = dict(type='VOC', data_root=voc_root, split='', ann_file='ImageSets/Main/test.txt')
    by_split = dict(type='VOC', data_root=voc_root, split='test')
    assert _samples(zoo_build('DATASETS', by_ann_file)) == _samples(zoo_build('DATASETS', by_split))


def test_recipe_pipeline_and_preprocessor_equal_mmpretrain(voc_root):
    """mmpretrain's VOC test pipeline (PackInputs with gt_label_difficult in meta_keys) and
    data preprocessor (to_onehot) give the same inputs, gt_score and metainfo on zoo."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    cfg = Config.fromfile(osp.join(config_root(), '_base_', 'datasets', 'voc_bs16.py'))
    dataset = dict(type='VOC', data_root=voc_root, split='test', pipeline=cfg.test_pipeline)
    preprocessor = dict(type='ClsDataPreprocessor', **cfg.data_preprocessor)
    batches = []
    for build in (mmpretrain_build, zoo_build):
        data = build('DATASETS', dataset)
        batch = pseudo_collate([data[i] for i in range(len(data))])
        batches.append(build('MODELS', preprocessor)(batch, training=False))
    expected, actual = batches
    torch.testing.assert_close(actual['inputs'], expected['inputs'], rtol=0, atol=0)
    assert actual['inputs'].shape == (4, 3, 224, 224)
    for theirs, mine in zip(expected['data_samples'], actual['data_samples']):
        assert mine.gt_score.equal(theirs.gt_score) and mine.gt_score.shape == (20, )
        assert mine.gt_label.equal(theirs.gt_label.sort().values)
        assert mine.gt_label_difficult == sorted(theirs.gt_label_difficult)
        assert mine.img_path == theirs.img_path


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def _object(name, difficult='0'):
    return f'<object><name>{name}</name><difficult>{difficult}</difficult></object>'


@pytest.mark.parametrize(
    'xml, match', [
        (f'<annotation>{_object("Dog")}</annotation>',
         r"000000.xml: <object> 0 is of class 'Dog', not one of the 20 classes"),
        ('<annotation><filename>000000.jpg</filename></annotation>',
         r"'.*000000.xml' has no <object>"),
        (f'<annotation>{_object("dog", "yes")}</annotation>',
         r"000000.xml: <object> 0 \('dog'\) has <difficult> 'yes', not an integer"),
        (f'<annotation>{_object("")}</annotation>', r'000000.xml: <object> 0 has no <name>'),
        ('<annotation><object>', r"'.*000000.xml' is not valid XML"),
    ],
    ids=['unknown class', 'no object', 'difficult not an int', 'no name', 'broken xml'])
def test_voc_bad_xml_names_file_and_value(tmp_path, xml, match):
    root = write_voc(str(tmp_path / 'VOC2007'))
    _write(osp.join(root, 'Annotations', '000000.xml'), xml)
    with pytest.raises(ValueError, match=match):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, split='trainval'))


def test_voc_missing_files_and_bad_arguments(tmp_path):
    root = write_voc(str(tmp_path / 'VOC2007'))
    os.remove(osp.join(root, 'Annotations', '000001.xml'))
    with pytest.raises(
            FileNotFoundError,
            match=r"VOC annotation file not found: '.*Annotations/000001.xml' "
            r"\(image '000001' of '.*trainval.txt'\)"):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, split='trainval'))
    os.remove(osp.join(root, 'ImageSets', 'Main', 'test.txt'))
    with pytest.raises(
            FileNotFoundError, match=r"VOC image set file not found: '.*ImageSets/Main/test.txt'"):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, split='test'))
    _write(osp.join(root, 'ImageSets', 'Main', 'val.txt'), '000000  1\n')
    with pytest.raises(
            ValueError, match=r"val.txt, line 1: expected one image id, got "
            r"'000000  1'"):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, split='val'))
    with pytest.raises(
            ValueError,
            match=r"split must be one of \('train', 'val', 'trainval', "
            r"'test'\), got 'valid'"):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, split='valid'))
    with pytest.raises(ValueError, match='data_prefix needs ann_path'):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, data_prefix='JPEGImages'))
    with pytest.raises(ValueError, match="give a split, or split='' and the image_set_path"):
        zoo_build('DATASETS', dict(type='VOC', data_root=root, split=''))
    dataset = zoo_build('DATASETS', dict(type='VOC', data_root=root, split='train'))
    with pytest.raises(TypeError, match='VOC is multi-label'):
        dataset.get_gt_labels()


def test_voc_align_classes_maps_both_label_lists(voc_root):
    """Classes given in another order are mapped by name onto the model's (ClassCheckHook)."""
    from mmpretrain.datasets.categories import VOC2007_CATEGORIES
    shuffled = tuple(reversed(VOC2007_CATEGORIES))
    dataset = zoo_build('DATASETS',
                        dict(type='VOC', data_root=voc_root, split='test', classes=shuffled))
    reference = zoo_build('DATASETS', dict(type='VOC', data_root=voc_root, split='test'))
    assert _samples(dataset) != _samples(reference)
    dataset.align_classes(VOC2007_CATEGORIES, 'the training set')
    assert _samples(dataset) == _samples(reference)
