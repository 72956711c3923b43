"""Grad-CAM of a classifier on one image: where the evidence for a class lies.

    python tools/visualization/vis_cam.py CONFIG CHECKPOINT IMG --save-path cam.png \
        [--target-category K] [--target-layers backbone.layer4] [--method GradCAM] \
        [--resize 224] [--cfg-options key=value ...]

The image goes through the config's test pipeline and the model's data preprocessor, as in
testing; the picture is that image (left) beside it with the class activation map laid over
it (right, jet colours: red is where the class's score gains most), scaled up to ``--resize``
pixels on the short edge. The default layer is the last CNN stage with a map larger than 1x1,
a ViT's last block's ``ln1`` or a Swin's last output norm, each reshaped to ``(N, C, H, W)``;
the default method is Grad-CAM, for a ViT ``GradCAMElementWise`` (see
:mod:`zoo.visualization.cam` for why). It prints the class it explains and its score.
"""
import argparse
import os.path as osp

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from zoo.registry import MODELS
from zoo.utils import register_all_modules
from zoo.visualization import grad_cam


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Grad-CAM of a classifier on one image')
    parser.add_argument('config', help='the model\'s config file')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('img', help='the image file')
    parser.add_argument('--save-path', required=True, help='the PNG to write')
    parser.add_argument(
        '--target-category', type=int, help='the class to explain (default: the predicted one)')
    parser.add_argument(
        '--target-layers',
        nargs='+',
        help='module names, e.g. backbone.layer4 (default: see above)')
    parser.add_argument(
        '--method',
        help='a pytorch_grad_cam method: GradCAM, GradCAMElementWise, GradCAMPlusPlus, '
        'XGradCAM, EigenCAM, ... (default: GradCAM; GradCAMElementWise for a ViT)')
    parser.add_argument(
        '--resize', type=int, default=224, help='short edge of the picture\'s halves, in pixels')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config entries')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not args.save_path.lower().endswith('.png'):
        raise ValueError(f'--save-path must be a .png file, got {args.save_path}')
    if not osp.isfile(args.img):
        raise FileNotFoundError(f'no image at {args.img}')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)

    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'zoo')):
        if cfg.get('data_preprocessor') is not None:  # the Runner merges it in likewise
            cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
        model = MODELS.build(cfg.model)
        try:
            checkpoint = load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
        except RuntimeError as error:
            raise RuntimeError(f'checkpoint {args.checkpoint} does not match the model of '
                               f'{args.config}:\n{error}') from None
        model.to(args.device).eval()
        steps = list(cfg.test_dataloader.dataset.pipeline)
        if not any(step['type'].endswith('LoadImageFromFile') for step in steps):
            # data sets held in memory (CIFAR-10's batches) start from arrays: load the file
            steps.insert(0, dict(type='LoadImageFromFile'))
        pipeline = Compose(steps)
        try:
            packed = pipeline(dict(img_path=args.img))
        except Exception as error:
            raise ValueError(f'{args.img}: the test pipeline failed on it ({error})') from error
    data = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]), False)
    inputs = data['inputs']

    cam, category = grad_cam(
        model, inputs, args.target_category, args.target_layers, method=args.method)
    with torch.no_grad():
        score = float(model(inputs).softmax(dim=1)[0, category])
    classes = checkpoint.get('meta', {}).get('dataset_meta', {}).get('classes')
    name = classes[category] if classes and category < len(classes) else None
    print(f'class {category}{f" ({name})" if name else ""}, score {score:.4f}')

    image = packed['inputs'].permute(1, 2, 0).numpy().astype(np.uint8)
    image = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., ::-1]
    picture = overlay(image, cam)
    height, width = image.shape[:2]
    factor = max(1.0, args.resize / min(height, width))
    size = (round(width * factor), round(height * factor))
    halves = [cv2.resize(x, size, interpolation=cv2.INTER_NEAREST) for x in (image, picture)]
    out = np.concatenate(halves, axis=1)
    mmcv.imwrite(out[..., ::-1], args.save_path)
    print(f'Grad-CAM of class {category}: {args.save_path}')


def overlay(image: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """``cam`` (``(H, W)`` in ``[0, 1]``) in jet colours over the RGB ``image``, half each."""
    from pytorch_grad_cam.utils.image import show_cam_on_image
    return show_cam_on_image(image.astype(np.float32) / 255, cam, use_rgb=True, image_weight=0.5)


if __name__ == '__main__':
    main()
