"""zoo.mmcv_ext on a CUDA GPU: mmdet's six detectors with mmcv-lite, CUDA against CPU.

For each detector (mmdet's own config, seeded weights, the fixed image of
zoo.mmcv_ext.reference_cases) it trains one SGD step and predicts on the CPU in float32 (the
reference), then on the device in float32 (TF32 off) and under bf16 autocast, and prints how
far the device's losses, updated weights and detections are from the CPU's. It first checks
that ``mmcv._ext`` is zoo's fallback and that the ops it serves run on CUDA tensors (nms,
batched_nms, RoIAlign forward/backward, DCN/DCNv2, sigmoid focal loss, deformable attention)
with the CPU's results. Exits 1 if any figure is past its limit or anything raises.

    python tools/gpu_checks/mmcv_ext_cuda.py                      # on the GPU machine
    python tools/gpu_checks/mmcv_ext_cuda.py --device cpu --detectors retinanet   # smoke test

The lent GPU machine (Python 3.12, torch with CUDA, no OpenMMLab packages, no registry) needs
wheels carried with the working tree, downloaded on a machine with a registry, e.g.
    pip download -d wheels --python-version 3.12 --only-binary :all: --platform \
        manylinux2014_x86_64 mmengine==0.10.7 mmcv-lite==2.1.0 mmdet==3.3.0 pycocotools \
        shapely scipy terminaltables addict yapf termcolor platformdirs six tqdm
and installed there with ``pip install --no-index --no-deps wheels/*.whl``; this checkout on
PYTHONPATH (``import zoo`` installs the finder).
"""
import argparse
import math
import os.path as osp
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import zoo  # noqa: E402,F401  (installs the mmcv._ext finder)
from zoo.mmcv_ext import reference_cases as ref  # noqa: E402

# Limits on |device - cpu| / max(|cpu|, 1e-6); float32 differs by the device's summation
# order only, bf16 carries 8 bits of mantissa through a whole network and one SGD step
LIMITS = {
    'fp32': dict(loss=1e-3, param_sum=1e-6, scores=1e-2),
    'bf16': dict(loss=0.1, param_sum=1e-3, scores=0.15)
}


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double().cpu(), b.double().cpu()
    if a.shape != b.shape:
        return math.inf
    if a.numel() == 0:
        return 0.0
    return float(((a - b).abs() / b.abs().clamp(min=1e-6)).max())


def check_ops(device: str) -> list:
    """(name, max relative difference device vs cpu, limit) for the ops served on CUDA."""
    import mmcv._ext
    from mmcv.ops import batched_nms, modulated_deform_conv2d, nms, roi_align, sigmoid_focal_loss
    from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction
    assert mmcv._ext.__spec__.origin == 'zoo.mmcv_ext', \
        f'mmcv._ext is {mmcv._ext.__spec__.origin}: run this with mmcv-lite, not compiled mmcv'
    rows = []
    on = lambda t: t.to(device)  # noqa: E731
    mismatched = 0
    for case in ref.nms_cases():
        cpu_keep = nms(case['boxes'], case['scores'], float(case['threshold']))[1]
        dev_keep = nms(on(case['boxes']), on(case['scores']), float(case['threshold']))[1]
        assert dev_keep.device.type == torch.device(device).type
        mismatched += not torch.equal(cpu_keep, dev_keep.cpu())
        idxs = torch.arange(len(case['scores'])) % 3
        cfg = dict(type='nms', iou_threshold=float(case['threshold']))
        mismatched += not torch.equal(
            batched_nms(case['boxes'], case['scores'], idxs, cfg)[1],
            batched_nms(on(case['boxes']), on(case['scores']), on(idxs), cfg)[1].cpu())
    rows.append(('nms + batched_nms: cases whose kept indices differ', mismatched, 0))
    inputs = ref.roi_inputs()
    for aligned, ratio in ref.ROI_ALIGN_SETTINGS:
        results = []
        for dev in ('cpu', device):
            feats = inputs['feats'].to(dev).requires_grad_()
            out = roi_align(feats, inputs['rois'].to(dev), (4, 4), 0.5, ratio, 'avg', aligned)
            out.backward(inputs['grad'].to(dev))
            results.append((out.detach(), feats.grad))
        rows.append((f'roi_align aligned={aligned} ratio={ratio}',
                     max(relative(results[1][i], results[0][i]) for i in range(2)), 1e-5))
    for index, setting in enumerate(ref.DEFORM_SETTINGS):
        stride, padding, dilation, groups, deform_groups = setting
        inp = ref.deform_inputs(setting, modulated=True)
        results = []
        for dev in ('cpu', device):
            leaves = {k: v.to(dev).requires_grad_() for k, v in inp.items() if k != 'grad'}
            out = modulated_deform_conv2d(leaves['x'], leaves['offset'], leaves['mask'],
                                          leaves['weight'], leaves['bias'], stride, padding,
                                          dilation, groups, deform_groups)
            out.backward(inp['grad'].to(dev))
            results.append([out.detach()] + [v.grad for v in leaves.values()])
        rows.append((f'modulated_deform_conv2d {setting}',
                     max(relative(d, c) for d, c in zip(*results[::-1])), 1e-4))
    logits = torch.randn(64, 7, generator=torch.Generator().manual_seed(0))
    target = torch.randint(0, 8, (64, ), generator=torch.Generator().manual_seed(1))
    results = []
    for dev in ('cpu', device):
        x = logits.to(dev).requires_grad_()
        loss = sigmoid_focal_loss(x, target.to(dev), 2.0, 0.25, None, 'sum')
        loss.backward()
        results.append((loss.detach(), x.grad))
    rows.append(('sigmoid_focal_loss forward/backward',
                 max(relative(results[1][i], results[0][i]) for i in range(2)), 1e-5))
    shapes = torch.tensor([[6, 8], [3, 4]])
    starts = torch.cat([shapes.new_zeros(1), shapes.prod(1).cumsum(0)[:-1]])
    gen = torch.Generator().manual_seed(2)
    attn_inputs = (torch.randn(2, 60, 2, 4,
                               generator=gen), torch.rand(2, 5, 2, 2, 3, 2, generator=gen),
                   torch.rand(2, 5, 2, 2, 3, generator=gen).softmax(-1))
    results = []
    for dev in ('cpu', device):
        value, loc, weight = (t.to(dev).requires_grad_() for t in attn_inputs)
        out = MultiScaleDeformableAttnFunction.apply(value, shapes.to(dev), starts.to(dev), loc,
                                                     weight, 64)
        out.sum().backward()
        results.append((out.detach(), value.grad, loc.grad, weight.grad))
    rows.append(('ms_deform_attn forward/backward',
                 max(relative(d, c) for d, c in zip(results[1], results[0])), 1e-4))
    return rows


def compare_detector(name: str, device: str) -> list:
    rows = []
    start = time.time()
    cpu = ref.run_detector(name, 'cpu')
    for precision, dtype in (('fp32', None), ('bf16', torch.bfloat16)):
        run = ref.run_detector(name, device, dtype)
        limits = LIMITS[precision]
        losses = [k for k in cpu if k.startswith('loss/') and k != 'loss/acc']
        rows.append((f'{name} {precision} losses', max(relative(run[k], cpu[k])
                                                       for k in losses), limits['loss']))
        rows.append((f'{name} {precision} updated weights (sum |w|)',
                     relative(run['param_sum'], cpu['param_sum']), limits['param_sum']))
        count = min(10, int(cpu['pred/count']), int(run['pred/count']))
        rows.append((f'{name} {precision} top-{count} scores',
                     relative(run['pred/scores'][:count],
                              cpu['pred/scores'][:count]), limits['scores']))
    print(f'{name}: {time.time() - start:.0f} s', flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument(
        '--detectors', nargs='+', default=list(ref.DETECTORS), choices=list(ref.DETECTORS))
    args = parser.parse_args()
    if args.device.startswith('cuda'):
        assert torch.cuda.is_available(), 'no CUDA device: use --device cpu for a smoke test'
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32 here
        torch.backends.cudnn.allow_tf32 = False
        print(torch.cuda.get_device_name(), 'torch', torch.__version__)
    rows = check_ops(args.device)
    for name in args.detectors:
        rows.extend(compare_detector(name, args.device))
    width = max(len(r[0]) for r in rows)
    print(f'\n{"check (device vs cpu)":{width}}  {"max rel. diff":>13}  {"limit":>7}')
    failed = 0
    for what, value, limit in rows:
        ok = value <= limit
        failed += not ok
        print(f'{what:{width}}  {value:13.3g}  {limit:7.2g}  {"" if ok else "FAIL"}')
    print(f'\n{len(rows) - failed}/{len(rows)} within limits')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
