"""inference_model and ImageClassificationInferencer on real image files: mmpretrain's result
keys, batches equal to single images, folders, top-k with class names, saved pictures, and
errors that name the file."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import run_tool
from zoo.apis import ImageClassificationInferencer, get_model, inference_model
from zoo.datasets import ImageDecodeError

CIFAR = 'resnet18_8xb16_cifar10'


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return get_model(CIFAR)


@pytest.fixture(scope='module')
def images(tmp_path_factory) -> Path:
    """Five PNG files of three sizes (the pipeline resizes them to CIFAR's 32 x 32)."""
    root = tmp_path_factory.mktemp('photos')
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(48, 64), (32, 32), (80, 40), (64, 64), (50, 70)]):
        cv2.imwrite(str(root / f'img{i}.png'), rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    (root / 'notes.txt').write_text('not an image: folders are filtered by extension')
    return root


def test_inference_model_returns_mmpretrain_keys(model, images):
    result = inference_model(model, str(images / 'img0.png'))
    scores = result['pred_scores']
    assert scores.shape == (10, ) and scores.dtype == np.float32
    assert scores.sum() == pytest.approx(1.0, abs=1e-5)
    assert result['pred_label'] == int(scores.argmax())
    assert result['pred_score'] == pytest.approx(float(scores.max()))
    assert result['pred_class'] == model.dataset_meta['classes'][result['pred_label']]
    # a BGR array as OpenCV reads the same file gives the same answer
    array = cv2.imread(str(images / 'img0.png'))
    np.testing.assert_allclose(inference_model(model, array)['pred_scores'], scores, atol=1e-6)


def test_batches_and_folders_equal_single_images(model, images):
    inferencer = ImageClassificationInferencer(model)
    files = sorted(str(p) for p in images.glob('*.png'))
    single = [inferencer(path)[0]['pred_scores'] for path in files]
    for results in (inferencer(str(images), batch_size=2), inferencer(files, batch_size=4)):
        assert len(results) == len(files)  # notes.txt is not an image
        for result, expected in zip(results, single):
            np.testing.assert_allclose(result['pred_scores'], expected, atol=1e-5)


def test_topk_names_classes_in_score_order(model, images):
    (result, ) = ImageClassificationInferencer(model)(str(images / 'img1.png'), topk=3)
    topk = result['topk']
    assert [entry['label'] for entry in topk] == \
        list(np.argsort(-result['pred_scores'])[:3])
    assert [entry['score'] for entry in topk] == sorted((e['score'] for e in topk), reverse=True)
    assert topk[0]['class'] == result['pred_class']
    classes = model.dataset_meta['classes']
    assert all(entry['class'] == classes[entry['label']] for entry in topk)


def test_show_dir_saves_each_image_with_its_topk(model, images, tmp_path):
    out = tmp_path / 'vis'
    results = ImageClassificationInferencer(model)(str(images), topk=2, show_dir=str(out))
    saved = sorted(out.glob('*.png'))
    assert [p.stem for p in saved] == [f'img{i}' for i in range(5)]
    source = cv2.imread(str(images / 'img0.png'))  # 48 x 64, upscaled to 320 wide
    picture = cv2.imread(str(out / 'img0.png'))
    assert picture.shape == (240, 320, 3)
    upscaled = cv2.resize(source, (320, 240), interpolation=cv2.INTER_NEAREST)
    changed = np.abs(picture.astype(int) - upscaled).sum(-1) > 0
    assert changed[:20, :60].mean() > 0.5  # the text band holds the two lines
    assert not changed[60:].any()  # below it the image is untouched
    assert len(results) == 5


def test_grayscale_model_takes_colour_arrays():
    lenet = get_model('lenet5_1xb64_digits')
    image = np.random.default_rng(1).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    assert inference_model(lenet, image)['pred_scores'].shape == (10, )


def test_an_undecodable_image_names_the_file(model, tmp_path):
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not a jpeg')
    with pytest.raises(ImageDecodeError, match=str(broken)):
        inference_model(model, str(broken))
    with pytest.raises(FileNotFoundError, match='gone.png'):
        inference_model(model, str(tmp_path / 'gone.png'))


def test_an_empty_folder_is_refused(model, tmp_path):
    with pytest.raises(FileNotFoundError, match='holds no images'):
        ImageClassificationInferencer(model)(str(tmp_path))


def test_inferencer_builds_a_model_from_a_name():
    inferencer = ImageClassificationInferencer('mobilenet-v2_8xb16_cifar10')
    image = np.zeros((32, 32, 3), np.uint8)
    assert inferencer(image)[0]['pred_class'] in inferencer.classes


def test_image_demo_classifies_a_folder(model, images, tmp_path):
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    result = run_tool('tools/demo/image_demo.py', str(images), CIFAR, '--checkpoint',
                      str(checkpoint), '--topk', '2', '--batch-size', '2', '--out-dir',
                      str(tmp_path / 'vis'))
    expected = ImageClassificationInferencer(model)(str(images / 'img3.png'), topk=2)[0]['topk']
    line = next(line for line in result.stdout.splitlines()
                if line.startswith(str(images / 'img3.png')))
    assert line == f'{images / "img3.png"}: ' + ', '.join(f'{e["class"]} {e["score"]:.3f}'
                                                          for e in expected)
    assert len(list((tmp_path / 'vis').glob('*.png'))) == 5
