"""Export a zoo classifier or dense detector (RetinaNet, YOLOv1) to ONNX, with preprocessing
(and, for detectors, box decoding and NMS) inside the graph.

    python tools/deployment/pytorch2onnx.py configs/resnet/resnet50_8xb32_in1k.py \
        resnet50.pth --output-file resnet50.onnx --dynamic-batch --verify

Classifier graph: ``input`` float32 ``(N, C, H, W)``, RGB pixels 0-255 at the config's test
size (grayscale models: C = 1) -> ``scores`` ``(N, num_classes)`` softmax. Detector graph: one
image ``(1, 3, H, W)`` at the test pipeline's Resize scale -> ``boxes (K, 4)`` in input pixels,
``scores (K, )``, ``labels (K, )``. ``--verify`` runs onnxruntime on a random input and prints
the largest difference from PyTorch.
"""
import argparse

import numpy as np
import torch

from zoo.apis import init_model
from zoo.deployment import ExportableDenseDetector, export_model, exportable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a zoo model to ONNX')
    parser.add_argument('config', help='config file or zoo model name')
    parser.add_argument('checkpoint', help="checkpoint path or URL ('none': random weights)")
    parser.add_argument('--output-file', required=True, help='the .onnx file to write')
    parser.add_argument(
        '--dynamic-batch', action='store_true', help='let the batch dimension vary (classifiers)')
    parser.add_argument(
        '--verify', action='store_true', help='compare onnxruntime with PyTorch on a random input')
    return parser.parse_args()


def verify(model: torch.nn.Module, output_file: str, example: torch.Tensor) -> float:
    """Largest absolute difference between onnxruntime's outputs and PyTorch's."""
    import onnxruntime as ort
    module, _, _ = exportable(model)
    with torch.no_grad():
        expected = module(example)
    expected = expected if isinstance(expected, tuple) else (expected, )
    session = ort.InferenceSession(output_file, providers=['CPUExecutionProvider'])
    outputs = session.run(None, {'input': example.numpy()})
    if isinstance(module, ExportableDenseDetector) and len(outputs[0]) != len(expected[0]):
        raise AssertionError(f'onnxruntime kept {len(outputs[0])} boxes, PyTorch '
                             f'{len(expected[0])}')
    return max(
        float(np.abs(out.astype(np.float64) - ref.numpy()).max(initial=0))
        for out, ref in zip(outputs, expected))


def main() -> None:
    args = parse_args()
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_model(args.config, checkpoint)
    example = export_model(model, args.output_file, dynamic_batch=args.dynamic_batch)
    print(f'{args.output_file}: input {tuple(example.shape)} float32 RGB 0-255'
          f'{" (dynamic batch)" if args.dynamic_batch else ""}')
    if args.verify:
        print(f'max |onnxruntime - PyTorch| = {verify(model, args.output_file, example):.3g}')


if __name__ == '__main__':
    main()
