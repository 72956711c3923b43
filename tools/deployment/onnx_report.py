"""ONNX export figures: parity with PyTorch per classification config, and onnxruntime vs
PyTorch CPU latency.

    python tools/deployment/onnx_report.py                       # every classification config
    python tools/deployment/onnx_report.py --parity resnet50_8xb32_in1k --latency \
        resnet50_8xb32_in1k mobilenet-v3-large_8xb128_in1k --threads 2

Parity: random weights (final layer scaled so the scores are far from uniform), one generated
picture through the config's test pipeline; the largest absolute difference between
onnxruntime's softmax scores and ``inference_model``'s ``pred_scores``. Latency: the same graph
module (normalisation, model, softmax) at batch 1 and the test size, PyTorch eager under
``torch.inference_mode`` against an onnxruntime CPU session, both with ``--threads`` threads;
the median of ``--iters`` alternating runs after ``--warmup``, and the spread (min, quartiles,
max) of the per-round ratios onnxruntime / PyTorch, with the load average before and after:
the machine may be shared.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Callable, List

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.utils import ProgressBar

from zoo.apis import get_model, get_test_image_size, inference_model, list_models
from zoo.deployment import export_model, exportable
from zoo.deployment.verify import graph_input, run_onnx, spread_logits

LATENCY_DEFAULT = ['resnet50_8xb32_in1k', 'mobilenet-v3-large_8xb128_in1k']


def classification_names() -> List[str]:
    """Every classification config, cheapest first (test size, then published parameters),
    so that an interrupted run has the most rows."""
    entries = []
    for name, info in list_models().items():
        cfg = Config.fromfile(info.config, import_custom_modules=False)
        if cfg.get('default_scope') == 'zoo':
            height, width = get_test_image_size(cfg)
            entries.append((height * width, info.params or 0, name))
    return [name for *_, name in sorted(entries)]


def make_picture(path: str) -> str:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:300, :400]
    img = np.stack([xx * 255 / 400, yy * 255 / 300, (xx + yy) * 255 / 700], -1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    cv2.imwrite(path, img)
    return path


def parity(name: str, picture: str, workdir: str) -> float:
    torch.manual_seed(0)
    model = get_model(name)
    spread_logits(model, picture)
    expected = inference_model(model, picture)['pred_scores']
    onnx_file = os.path.join(workdir, f'{name}.onnx')
    export_model(model, onnx_file)
    (scores, ) = run_onnx(onnx_file, graph_input(model, picture))
    os.remove(onnx_file)
    return float(np.abs(scores[0] - expected).max())


def round_seconds(runs: List[Callable[[], object]], warmup: int, iters: int) -> List[List[float]]:
    """Wall time of each callable in each round; the runs alternate, so that a change in the
    machine's load (it is shared) affects them alike."""
    for _ in range(warmup):
        for run in runs:
            run()
    times = [[] for _ in runs]
    for _ in range(iters):
        for run, spent in zip(runs, times):
            start = time.perf_counter()
            run()
            spent.append(time.perf_counter() - start)
    return times


def latency(name: str, workdir: str, threads: int, warmup: int, iters: int):
    import onnxruntime as ort
    torch.manual_seed(0)
    model = get_model(name)
    module, example, _ = exportable(model)
    onnx_file = os.path.join(workdir, f'{name}.onnx')
    export_model(model, onnx_file)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])
    feed = {'input': example.numpy()}
    torch.set_num_threads(threads)

    def run_torch():
        with torch.inference_mode():
            module(example)

    torch_s, ort_s = round_seconds([run_torch, lambda: session.run(None, feed)], warmup, iters)
    os.remove(onnx_file)
    ratios = np.array(ort_s) / np.array(torch_s)
    return tuple(example.shape), statistics.median(torch_s), statistics.median(ort_s), ratios


def load() -> str:
    return ', '.join(f'{v:.2f}' for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--parity',
        nargs='*',
        default=None,
        help='configs to check (default: every classification config)')
    parser.add_argument('--latency', nargs='*', default=LATENCY_DEFAULT)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--iters', type=int, default=20)
    args = parser.parse_args()
    names = classification_names() if args.parity is None else args.parity
    with tempfile.TemporaryDirectory() as workdir:
        picture = make_picture(os.path.join(workdir, 'picture.png'))
        if names:
            print('| config | max abs diff, onnxruntime vs inference_model scores |')
            print('| --- | --- |', flush=True)
            progress = ProgressBar(len(names), file=sys.stderr)
            for name in names:
                diff = parity(name, picture, workdir)
                progress.update()
                sys.stderr.write('\n')  # the bar's line ends; the table (stdout) stays whole
                print(f'| {name} | {diff:.2e} |', flush=True)
        if args.latency:
            print(f'\nCPU latency, batch 1, {args.threads} threads, median of {args.iters} '
                  f'rounds; load average (1, 5, 15 min) {load()} at the start:')
            print('| config | input | PyTorch ms | onnxruntime ms | onnxruntime / PyTorch | '
                  'per-round ratio min / q1 / median / q3 / max |')
            print('| --- | --- | --- | --- | --- | --- |')
            for name in args.latency:
                shape, torch_s, ort_s, ratios = latency(name, workdir, args.threads, args.warmup,
                                                        args.iters)
                spread = ' / '.join(f'{v:.2f}' for v in np.quantile(ratios, [0, .25, .5, .75, 1]))
                print(
                    f'| {name} | {shape} | {torch_s * 1e3:.1f} | {ort_s * 1e3:.1f} | '
                    f'{ort_s / torch_s:.2f} | {spread} |',
                    flush=True)
            print(f'load average at the end: {load()}')


if __name__ == '__main__':
    main()
