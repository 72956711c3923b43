"""Predict on images with a zoo classifier or detector and save the pictures.

    python tools/demo/image_demo.py photo.jpg resnet50_8xb32_in1k --checkpoint r50.pth --topk 3
    python tools/demo/image_demo.py photos/ configs/resnet/resnet18_8xb16_cifar10.py \
        --checkpoint work_dirs/resnet18_8xb16_cifar10/epoch_200.pth --out-dir demo_out
    python tools/demo/image_demo.py shapes.jpg \
        configs/retinanet/retinanet_r18_fpn_gn-head_1xb8-6e_shapes.py --checkpoint ret.pth

``MODEL`` is a zoo model name or a config file. A classification config goes through zoo's
``ImageClassificationInferencer`` (prints the top-k; ``--out-dir`` gets each image with its
top-k written on it); a detection config (mmdet scope) through mmdet's ``DetInferencer``
(prints the boxes above ``--score-thr``; ``--out-dir`` gets ``vis/`` pictures and ``preds/``
JSON files).
"""
import argparse
import os.path as osp

from zoo.apis import ImageClassificationInferencer, get_model_info, load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='zoo image demo')
    parser.add_argument('inputs', help='an image file or a folder of images')
    parser.add_argument('model', help='zoo model name or config file')
    parser.add_argument('--checkpoint', help='checkpoint path or URL (default: random weights)')
    parser.add_argument('--out-dir', help='save the visualised predictions here')
    parser.add_argument('--topk', type=int, default=5, help='classes to print (classifiers)')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='lowest score of a box to print and draw (detectors)')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def classify(args: argparse.Namespace) -> None:
    inferencer = ImageClassificationInferencer(
        args.model, pretrained=args.checkpoint, device=args.device)
    results = inferencer(
        args.inputs, batch_size=args.batch_size, topk=args.topk, show_dir=args.out_dir)
    names = inferencer._inputs_to_list(args.inputs)
    for name, result in zip(names, results):
        best = ', '.join(f'{e["class"] if e["class"] is not None else e["label"]} '
                         f'{e["score"]:.3f}' for e in result['topk'])
        print(f'{name}: {best}')


def detect(args: argparse.Namespace, config: str) -> None:
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(
        model=config, weights=args.checkpoint, device=args.device, show_progress=False)
    results = inferencer(
        args.inputs,
        batch_size=args.batch_size,
        out_dir=args.out_dir or '',
        no_save_pred=args.out_dir is None,
        pred_score_thr=args.score_thr)
    classes = inferencer.model.dataset_meta['classes']
    names = inferencer._inputs_to_list(args.inputs)
    for name, pred in zip(names, results['predictions']):
        boxes = [(classes[label], score, box)
                 for label, score, box in zip(pred['labels'], pred['scores'], pred['bboxes'])
                 if score >= args.score_thr]
        print(f'{name}: {len(boxes)} boxes with score >= {args.score_thr}')
        for label, score, box in boxes:
            print(f'  {label} {score:.3f} [{", ".join(f"{v:.1f}" for v in box)}]')


def main() -> None:
    args = parse_args()
    config = args.model if args.model.endswith('.py') else str(get_model_info(args.model).config)
    cfg = load_config(config)
    if cfg.get('default_scope', 'zoo') == 'zoo':
        classify(args)
    else:
        detect(args, config)
    if args.out_dir:
        print(f'pictures saved under {osp.abspath(args.out_dir)}')


if __name__ == '__main__':
    main()
