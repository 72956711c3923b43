"""Reference outputs of mmcv 2.1.0's compiled ops, for zoo.mmcv_ext's equality tests.

Run once in an environment with compiled mmcv 2.1.0 (ZOO_MMCV=compiled bash tools/setup_env.sh):

    python tools/mmcv_ext_reference.py --out tests/ops/data/mmcv_2.1.0_cpu_reference.pt
    python tools/mmcv_ext_reference.py --compare tests/ops/data/mmcv_2.1.0_cpu_reference.pt

(the second, with mmcv-lite, prints the equality table of zoo.mmcv_ext). ``--ext-dir`` takes a
compiled ``_ext`` linked from only the sources of the ops recorded here, with mmcv-lite.

It calls mmcv.ops (and mmdet's detectors) on fixed inputs and saves inputs and outputs as plain
tensors (read back with ``torch.load(weights_only=True)``). tests/ops/ runs the same cases on
mmcv-lite plus zoo.mmcv_ext and compares; tools/gpu_checks/mmcv_ext_cuda.py reuses the detector
runs on CUDA. The cases live in :mod:`zoo.mmcv_ext.reference_cases`, so that every side builds
identical inputs.
"""
import argparse
import os.path as osp

import torch

from zoo.mmcv_ext.reference_cases import compare, record_all


def use_partial_build(ext_dir: str) -> None:
    """Use ``ext_dir``'s compiled ``_ext`` (mmcv 2.1.0's kernels for the ops recorded here,
    linked without the rest) with mmcv-lite's Python: names it lacks raise when called."""
    import mmcv
    mmcv.__path__.insert(0, ext_dir)
    import mmcv._ext

    from zoo.mmcv_ext.ext import MMCV_2_1_0_NAMES
    from zoo.mmcv_ext.unavailable import unavailable
    for name in MMCV_2_1_0_NAMES:
        if not hasattr(mmcv._ext, name):
            setattr(mmcv._ext, name, unavailable(name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', help='the .pt file to write')
    parser.add_argument(
        '--compare',
        metavar='REFERENCE',
        help='instead, print how the '
        "installed mmcv._ext's outputs compare with a recorded reference")
    parser.add_argument(
        '--ext-dir',
        help="a folder with a compiled mmcv._ext built from a "
        "subset of mmcv 2.1.0's sources (the ops recorded here), used first")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the tests: convolution sums may depend on the thread count
    if args.compare:
        import zoo  # noqa: F401  (the fallback, where mmcv has no compiled _ext)
        rows = compare(torch.load(args.compare, weights_only=True), record_all())
        print(f'{"outputs":28} {"tensors":>7} {"identical":>9} {"max |diff|":>10}')
        for group, count, same, diff in rows:
            print(f'{group:28} {count:7d} {same:9d} {diff:10.2g}')
        return
    if not args.out:
        parser.error('--out or --compare is required')
    if args.ext_dir:
        use_partial_build(args.ext_dir)
    import mmcv
    import mmcv._ext
    assert mmcv._ext.__file__.endswith('.so'), \
        f'mmcv._ext is {mmcv._ext.__spec__.origin}: record from compiled mmcv, not a fallback'
    out = record_all()
    out['mmcv_version'] = torch.tensor([int(v) for v in mmcv.__version__.split('.')])
    torch.save(out, args.out, _use_new_zipfile_serialization=False)  # no zip entry per tensor
    print(f'{len(out)} tensors, {osp.getsize(args.out) / 1024:.0f} KiB -> {args.out}')


if __name__ == '__main__':
    main()
