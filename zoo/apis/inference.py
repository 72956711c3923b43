"""Predict with a zoo classifier: mmpretrain's ``inference_model`` and
``ImageClassificationInferencer`` (MMEngine's ``BaseInferencer``).

Example:
    >>> from zoo.apis import ImageClassificationInferencer, get_model, inference_model
    >>> model = get_model('resnet18_8xb16_cifar10', pretrained='work_dirs/epoch_200.pth')
    >>> inference_model(model, 'cat.png')['pred_class']
    'cat'
    >>> inferencer = ImageClassificationInferencer(model)
    >>> results = inferencer('photos/', batch_size=16, topk=3, show_dir='out/')
"""
import os.path as osp
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.infer import BaseInferencer
from mmengine.registry import DefaultScope
from torch import nn

from .model import ModelSource, get_model

ImageType = Union[str, Path, np.ndarray]
InputsType = Union[ImageType, Sequence[ImageType]]
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
# Data sets whose images all have one size, so their test pipelines resize nothing.
NATIVE_SIZES = {'CIFAR10': (32, 32)}
SIZE_TRANSFORMS = ('CenterCrop', 'Resize', 'RandomResizedCrop', 'ResizeEdge', 'RandomCrop')


def _type_name(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


def get_test_pipeline(cfg: Config) -> List[dict]:
    """The test data set's pipeline of a config (looking through data set wrappers)."""
    dataset = (cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}).get('dataset')
    while dataset is not None and 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    if dataset is None or 'pipeline' not in dataset:
        raise KeyError(f'{cfg.filename}: no test_dataloader.dataset.pipeline to preprocess '
                       'images with')
    return [dict(t) for t in dataset['pipeline']]


def get_test_image_size(cfg: Config) -> Tuple[int, int]:
    """``(height, width)`` of the images the model sees at test time: the size the test
    pipeline crops or resizes to, else the backbone's ``img_size``, else the native size of
    the data set (CIFAR-10's 32 x 32)."""

    def hw(size) -> Tuple[int, int]:
        return (size, size) if isinstance(size, int) else (int(size[1]), int(size[0]))

    size = None
    for transform in get_test_pipeline(cfg):
        kind = _type_name(transform)
        if kind == 'CenterCrop':
            size = hw(transform['crop_size'])
        elif kind == 'Resize' and not transform.get('keep_ratio', False):
            size = hw(transform['scale'])
        elif kind in SIZE_TRANSFORMS:
            size = None  # an aspect-preserving resize: the size depends on the image
    if size is not None:
        return size
    img_size = cfg.model.get('backbone', {}).get('img_size')
    if img_size is not None:
        return hw(img_size)
    dataset = cfg.test_dataloader.dataset
    native = NATIVE_SIZES.get(str(dataset.get('type', '')).split('.')[-1])
    if native is not None:
        return native
    raise ValueError(f'{cfg.filename}: cannot tell the test image size (no CenterCrop or '
                     'fixed Resize in the test pipeline, no backbone img_size)')


def build_image_loader(cfg: Config) -> Callable[[ImageType], dict]:
    """A function from a path or a BGR array to the test pipeline's output.

    The pipeline's ``LoadImageFromFile`` (zoo's: an undecodable file raises an error naming it)
    reads paths; arrays skip it. A pipeline that resizes nothing (CIFAR's, which reads 32 x 32
    images from memory) gets a ``Resize`` to the test size, so any photo can be classified.
    """
    from zoo.registry import TRANSFORMS
    from zoo.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    pipeline = get_test_pipeline(cfg)
    load_cfg = dict(type='LoadImageFromFile')
    if pipeline and _type_name(pipeline[0]) == 'LoadImageFromFile':
        load_cfg = dict(pipeline.pop(0), type='LoadImageFromFile')
    if not any(_type_name(t) in SIZE_TRANSFORMS for t in pipeline):
        height, width = get_test_image_size(cfg)
        pipeline.insert(0, dict(type='Resize', scale=(width, height)))
    with DefaultScope.overwrite_default_scope('zoo'):
        load = TRANSFORMS.build(load_cfg)
        rest = Compose([TRANSFORMS.build(t) for t in pipeline])
    grayscale = load_cfg.get('color_type') == 'grayscale'

    def loader(image: ImageType) -> dict:
        if isinstance(image, np.ndarray):
            if grayscale and image.ndim == 3:
                image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2])
        else:
            results = load(dict(img_path=str(image)))
        return rest(results)

    return loader


def draw_topk(image: np.ndarray, lines: Sequence[str], min_width: int = 320) -> np.ndarray:
    """The BGR ``image`` (upscaled to ``min_width`` when smaller) with ``lines`` written in its
    top-left corner on a dark band, as mmpretrain's visualizer labels a prediction."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[1] < min_width:
        scale = min_width / image.shape[1]
        image = cv2.resize(
            image, (min_width, round(image.shape[0] * scale)), interpolation=cv2.INTER_NEAREST)
    canvas = image.copy()
    font, font_scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1
    line_height = 20
    width = max(cv2.getTextSize(line, font, font_scale, thickness)[0][0] for line in lines) + 10
    band = canvas[:line_height * len(lines) + 6, :width]
    band[:] = (band * 0.3).astype(np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(canvas, line, (5, line_height * (i + 1)), font, font_scale, (255, 255, 255),
                    thickness, cv2.LINE_AA)
    return canvas


class ImageClassificationInferencer(BaseInferencer):
    """Classify images with a zoo model: paths, BGR arrays, folders or lists of them, in
    batches.

    Each result is mmpretrain's dict: ``pred_scores`` (every class), ``pred_label``,
    ``pred_score``, ``pred_class`` (``None`` when the model's classes are unknown), plus
    ``topk``: the ``topk`` best as ``dict(label, class, score)``.

    Args:
        model: A built model, a zoo model name, a config file or a ``Config``.
        pretrained: Checkpoint path or URL, or ``True`` (see :func:`get_model`).
        device: Device to run on (default: that of a built model, else CPU).
        classes: Class names, overriding those the model knows.
        show_progress: Whether to show a progress bar over the batches.

    Example:
        >>> inferencer = ImageClassificationInferencer('lenet5_1xb64_digits',
        ...                                            pretrained='lenet.pth')
        >>> inferencer(['a.png', 'b.png'], batch_size=2, topk=2)[0]['topk']
        [{'label': 3, 'class': '3', 'score': 0.97}, {'label': 8, 'class': '8', 'score': 0.02}]
    """
    visualize_kwargs = {'show_dir', 'topk'}
    postprocess_kwargs = {'return_topk'}

    def __init__(self,
                 model: Union[nn.Module, ModelSource],
                 pretrained: Union[bool, str, None] = None,
                 device: Union[str, torch.device, None] = None,
                 classes: Optional[Sequence[str]] = None,
                 show_progress: bool = False) -> None:
        if isinstance(model, nn.Module):
            if pretrained is not None:
                raise ValueError('pretrained is for a model given by name or config; load a '
                                 'checkpoint into a built model with zoo.apis.load_weights')
            if not hasattr(model, 'cfg'):
                raise ValueError('the model has no cfg (the config it was built from): build '
                                 'it with zoo.apis.get_model')
            if device is not None:
                model = model.to(device)
        else:
            model = get_model(model, pretrained=pretrained, device=device)
        self.model = model.eval()
        self.cfg = model.cfg
        self.scope = 'zoo'
        self.show_progress = show_progress
        self.visualizer = None
        self.collate_fn = self._init_collate(self.cfg)
        self.pipeline = self._init_pipeline(self.cfg)
        meta = getattr(model, 'dataset_meta', None) or {}
        self.classes = tuple(classes) if classes is not None else meta.get('classes')

    def __call__(self,
                 inputs: InputsType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 topk: int = 5,
                 **kwargs) -> list:
        """Classify ``inputs``; ``show_dir`` saves each image with its top-k written on it."""
        return super().__call__(
            inputs, return_datasamples, batch_size, topk=topk, return_topk=topk, **kwargs)

    def _init_pipeline(self, cfg: Config) -> Callable:
        return build_image_loader(cfg)

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """Paths, arrays and folders (their image files, sorted) as one flat list."""
        if isinstance(inputs, (str, Path, np.ndarray)):
            inputs = [inputs]
        flat = []
        for item in inputs:
            if isinstance(item, (str, Path)) and osp.isdir(item):
                files = sorted(
                    p for p in Path(item).iterdir() if p.suffix.lower() in IMG_EXTENSIONS)
                if not files:
                    raise FileNotFoundError(f'folder {item} holds no images '
                                            f'({", ".join(IMG_EXTENSIONS)})')
                flat.extend(str(p) for p in files)
            elif isinstance(item, (str, Path, np.ndarray)):
                flat.append(str(item) if isinstance(item, Path) else item)
            else:
                raise TypeError(f'an input must be a path, a folder or a BGR numpy array, got '
                                f'{type(item).__name__}')
        return flat

    def _class_name(self, label: int) -> Optional[str]:
        return str(self.classes[label]) if self.classes else None

    def _topk(self, scores: torch.Tensor, k: int) -> List[dict]:
        values, labels = scores.topk(min(k, scores.numel()))
        return [{
            'label': int(label),
            'class': self._class_name(int(label)),
            'score': float(value)
        } for value, label in zip(values, labels)]

    def visualize(self,
                  inputs: list,
                  preds: list,
                  show_dir: Optional[str] = None,
                  topk: int = 5,
                  **kwargs) -> Optional[List[np.ndarray]]:
        """With ``show_dir``: each input image with its top-k, saved as
        ``<show_dir>/<image name>.png`` (arrays: ``<index>.png``)."""
        if show_dir is None:
            return None
        Path(show_dir).mkdir(parents=True, exist_ok=True)
        pictures = []
        for index, (image, pred) in enumerate(zip(inputs, preds)):
            name = f'{index}' if isinstance(image, np.ndarray) else Path(image).stem
            if not isinstance(image, np.ndarray):
                image = cv2.imread(image, cv2.IMREAD_COLOR)
            lines = [
                f'{entry["class"] or entry["label"]}: {entry["score"]:.3f}'
                for entry in self._topk(pred.pred_score, topk)
            ]
            picture = draw_topk(image, lines)
            out = osp.join(show_dir, f'{name}.png')
            if not cv2.imwrite(out, picture):
                raise OSError(f'could not write {out}')
            pictures.append(picture)
        return pictures

    def postprocess(self,
                    preds: list,
                    visualization: Optional[List[np.ndarray]],
                    return_datasamples: bool = False,
                    return_topk: int = 5) -> list:
        if return_datasamples:
            return preds
        results = []
        for sample in preds:
            scores = sample.pred_score.detach().cpu()
            label = int(scores.argmax())
            results.append(
                dict(
                    pred_scores=scores.numpy(),
                    pred_label=label,
                    pred_score=float(scores[label]),
                    pred_class=self._class_name(label),
                    topk=self._topk(scores, return_topk)))
        return results


def inference_model(model: Union[nn.Module, ModelSource], img: ImageType, **kwargs) -> dict:
    """Classify one image (path or BGR array) with ``model`` (built, or a name or config).

    Returns:
        dict: ``pred_scores`` (numpy, every class), ``pred_label``, ``pred_score``,
        ``pred_class`` and ``topk``, as mmpretrain's ``inference_model``.
    """
    return ImageClassificationInferencer(model, **kwargs)(img)[0]
