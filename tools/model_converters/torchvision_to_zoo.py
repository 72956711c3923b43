"""Convert a torchvision classification state dict into a zoo ImageClassifier checkpoint.

    python tools/model_converters/torchvision_to_zoo.py mobilenet_v3_large \
        mobilenet_v3_large-8738ca79.pth work_dirs/mobilenet-v3-large_tv.pth

The output is ``{'state_dict': {'backbone.*', 'head.*'}, 'meta': {...}}`` for the model of the
architecture's config (``CONFIGS``): ``python tools/test.py CONFIG OUTPUT`` evaluates it, and a
detector takes its backbone with ``init_cfg=dict(type='Pretrained', checkpoint=OUTPUT,
prefix='backbone.')``. The converted keys are checked against that model: a checkpoint of
another architecture fails with the missing and unexpected keys named. Checkpoints are read
with ``weights_only=True``.

Each converter renames keys only (the zoo models are torchvision's layer for layer); the
mapping is derived from the zoo backbones' own arch tables.
"""
import argparse
from pathlib import Path

import torch

from zoo.converters.torchvision_to_zoo import CONFIGS, CONVERTERS, convert


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert torchvision weights to zoo')
    parser.add_argument('arch', choices=sorted(CONVERTERS), help='torchvision model name')
    parser.add_argument('src', help='torchvision state dict (.pth)')
    parser.add_argument('dst', help='zoo checkpoint to write')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state) if isinstance(state, dict) else state
    converted = convert(args.arch, state)
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(source=f'torchvision {args.arch}', config=str(CONFIGS[args.arch]))), args.dst)
    print(f'{args.arch}: {len(converted)} tensors -> {args.dst} (model: {CONFIGS[args.arch]})')


if __name__ == '__main__':
    main()
