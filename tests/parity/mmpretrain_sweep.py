"""Run mmpretrain 1.2.0's own recipe configs on zoo: the sweep of issue 9.

For every leaf config of mmpretrain for zoo's families (:data:`FAMILIES`), :func:`run_recipe`

1. loads the config from mmpretrain's wheel and changes ``default_scope`` to ``'zoo'``;
2. writes a tiny data set of real image files in the layout the config reads (ImageNet's
   ``train/<wnid>/*.JPEG`` + ``meta/*.txt``, CIFAR's pickled batches, MNIST's IDX files) and
   points the config's ``data_root`` / ``data_prefix`` there: paths only;
3. trains it one epoch with MMEngine's stock ``Runner`` (batches of 2 images, no worker
   processes, the recipe's pipeline, model, optimizer, schedules, hooks and evaluator);
4. builds mmpretrain's model and zoo's model from the same ``model`` dict and checks that they
   have the same state-dict keys and shapes, that mmpretrain's weights load into zoo's with
   ``strict=True``, and that both give the same logits on the same input in eval mode.

The data set types, paths and loader sizes are the only other changes (:func:`redirect`).
Run as a script it sweeps every config in worker processes and prints ``N of M``::

    PYTHONPATH=$PWD python -m tests.parity.mmpretrain_sweep [--jobs 2] [name-substring ...]
"""
import argparse
import copy
import gc
import glob
import json
import os
import os.path as osp
import pickle
import subprocess
import sys
import tempfile
import time
import traceback
from typing import List, Optional, Sequence

import numpy as np

FAMILIES = ('lenet', 'mobilenet_v2', 'mobilenet_v3', 'resnet', 'resnext', 'seresnet',
            'swin_transformer', 'vgg', 'vision_transformer', 'wrn')

#: Configs that mmpretrain 1.2.0 itself cannot build here, with the reason.
EXCLUDED = {
    'vit-base-p16_4xb544-ipu_in1k':
    'an mmcls 0.x config (data=, runner=, optimizer= at top level); mmpretrain 1.2.0 has no '
    'IPU support and its Runner cannot read it',
    'resnet50_8xb32-cutmix_in1k':
    "names BatchCutMix, mmcls 0.x's name, absent from mmpretrain 1.2.0's BATCH_AUGMENTS",
    'resnet50_8xb128_coslr-90e_in21k':
    "sets val_cfg but no val_dataloader/val_evaluator: MMEngine's Runner refuses it (ValueError "
    "'should be either all None or not None')",
}

#: Configs that need what no CPU has, whatever the library: run on a GPU machine.
NEEDS_GPU = {
    'resnet50_8xb32-fp16_in1k': "MMEngine's AmpOptimWrapper asserts a CUDA/NPU/MLU device",
    'resnet50_8xb32-fp16-dynamic_in1k': "MMEngine's AmpOptimWrapper asserts a CUDA/NPU/MLU "
    'device',
}

DATASET_ROOT_KEYS = {
    'ImageNet': 'data_root',
    'ImageNet21k': 'data_root',
    'CIFAR10': 'data_root',
    'CIFAR100': 'data_root',
    'MNIST': 'data_prefix',
    'CUB': 'data_root',
    'VOC': 'data_root',
}


def config_root() -> str:
    import mmpretrain
    return osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs')


def leaf_configs() -> List[str]:
    """The leaf recipe configs of zoo's families, sorted by name."""
    paths = []
    for family in FAMILIES:
        paths += glob.glob(osp.join(config_root(), family, '*.py'))
    return sorted(paths, key=lambda p: osp.basename(p))


def config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def config_path(name: str) -> str:
    matches = [p for p in leaf_configs() if config_name(p) == name]
    if not matches:
        raise KeyError(f'no mmpretrain config named {name!r} in {FAMILIES}')
    return matches[0]


# ----------------------------------------------------------------------------------------------
# Tiny data sets in each config's layout
# ----------------------------------------------------------------------------------------------
def _images(num: int, seed: int, shape=(72, 88, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (num, ) + shape, dtype=np.uint8)


def write_imagenet(root: str, splits=('train', 'val'), num_train: int = 2, num_val: int = 2) -> str:
    """ImageNet's layout: ``train/<wnid>/<wnid>_<i>.JPEG``, ``val/ILSVRC2012_val_<i>.JPEG`` and
    ``meta/<split>.txt`` ("<relative path> <label>" a line), real JPEG files."""
    import cv2
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    wnids = ('n01440764', 'n01443537')
    if 'train' in splits:
        lines = []
        for i, img in enumerate(_images(num_train, 0)):
            label = i % 2
            rel = f'{wnids[label]}/{wnids[label]}_{i}.JPEG'
            os.makedirs(osp.join(root, 'train', wnids[label]), exist_ok=True)
            cv2.imwrite(osp.join(root, 'train', rel), img)
            lines.append(f'{rel} {label}')
        with open(osp.join(root, 'meta', 'train.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    if 'val' in splits:
        os.makedirs(osp.join(root, 'val'), exist_ok=True)
        lines = []
        for i, img in enumerate(_images(num_val, 1)):
            rel = f'ILSVRC2012_val_{i + 1:08d}.JPEG'
            cv2.imwrite(osp.join(root, 'val', rel), img)
            lines.append(f'{rel} {i % 2}')
        with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def write_cifar(root: str, hundred: bool = False, num_train: int = 6, num_test: int = 2) -> str:
    """CIFAR's python batches (``cifar-10-batches-py/`` or ``cifar-100-python/``), pickled;
    CIFAR-10's ``num_train`` images are spread over its five training batches."""
    folder = osp.join(root, 'cifar-100-python' if hundred else 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    label_key = 'fine_labels' if hundred else 'labels'

    def dump(name, content):
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(content, f, protocol=2)

    def batch(num, seed):
        data = _images(num, seed, (32, 32, 3)).transpose(0, 3, 1, 2).reshape(num, 3 * 32 * 32)
        return {'data': np.ascontiguousarray(data), label_key: [i % 2 for i in range(num)]}

    if hundred:
        from zoo.datasets.categories import CIFAR100_CATEGORIES
        dump('meta', {'fine_label_names': list(CIFAR100_CATEGORIES)})
        dump('train', batch(num_train, 0))
        dump('test', batch(num_test, 1))
    else:
        dump(
            'batches.meta', {
                'label_names': [
                    'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship',
                    'truck'
                ]
            })
        for i in range(5):
            dump(f'data_batch_{i + 1}', batch(max(1, num_train // 5 + (i < num_train % 5)), i))
        dump('test_batch', batch(num_test, 9))
    return root


def write_mnist(root: str, num_train: int = 4, num_test: int = 2) -> str:
    """MNIST's IDX files (gunzipped)."""
    os.makedirs(root, exist_ok=True)

    def idx(name, array):
        header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype='>i4').tobytes()
        with open(osp.join(root, name), 'wb') as f:
            f.write(header + array.astype(np.uint8).tobytes())

    for prefix, num, seed in (('train', num_train, 0), ('t10k', num_test, 1)):
        idx(f'{prefix}-images-idx3-ubyte', _images(num, seed, (28, 28)))
        idx(f'{prefix}-labels-idx1-ubyte', np.arange(num) % 2)
    return root


def write_cub(root: str, num_train: int = 2, num_test: int = 2) -> str:
    """CUB-200-2011's layout: ``images/<class folder>/*.jpg`` and its three id files."""
    import cv2
    images, labels, split = [], [], []
    for i, img in enumerate(_images(num_train + num_test, 2)):
        rel = f'{i % 2 + 1:03d}.Bird_{i % 2}/Bird_{i}.jpg'
        os.makedirs(osp.join(root, 'images', osp.dirname(rel)), exist_ok=True)
        cv2.imwrite(osp.join(root, 'images', rel), img)
        images.append(f'{i + 1} {rel}')
        labels.append(f'{i + 1} {i % 2 + 1}')
        split.append(f'{i + 1} {int(i < num_train)}')
    for name, lines in (('images.txt', images), ('image_class_labels.txt', labels),
                        ('train_test_split.txt', split)):
        with open(osp.join(root, name), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


#: The objects (class, difficult) of VOC image ``i`` are row ``i % 4``: classes present only,
#: a class present and difficult too, a class difficult only, an image of difficult objects.
VOC_OBJECTS = (
    (('dog', 0), ('person', 0)),
    (('cat', 0), ('cat', 1)),
    (('car', 0), ('bottle', 1)),
    (('bird', 1), ),
)


def write_voc(root: str, num_trainval: int = 2, num_test: int = 2) -> str:
    """VOC2007's layout: ``JPEGImages/<id>.jpg``, ``Annotations/<id>.xml`` (each object's
    ``<name>``, ``<difficult>``, ``<bndbox>``, see :data:`VOC_OBJECTS`) and
    ``ImageSets/Main/{train,val,trainval,test}.txt``."""
    import cv2
    main = osp.join(root, 'ImageSets', 'Main')
    for folder in (osp.join(root, 'JPEGImages'), osp.join(root, 'Annotations'), main):
        os.makedirs(folder, exist_ok=True)
    ids = []
    for i, img in enumerate(_images(num_trainval + num_test, 3)):
        img_id = f'{i:06d}'
        cv2.imwrite(osp.join(root, 'JPEGImages', f'{img_id}.jpg'), img)
        objects = ''.join(
            f'<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated>'
            f'<difficult>{difficult}</difficult><bndbox><xmin>{1 + k}</xmin><ymin>1</ymin>'
            f'<xmax>{40 + k}</xmax><ymax>{30 + k}</ymax></bndbox></object>'
            for k, (name, difficult) in enumerate(VOC_OBJECTS[i % len(VOC_OBJECTS)]))
        with open(osp.join(root, 'Annotations', f'{img_id}.xml'), 'w') as f:
            f.write(f'<annotation><folder>VOC2007</folder><filename>{img_id}.jpg</filename>'
                    f'<size><width>{img.shape[1]}</width><height>{img.shape[0]}</height>'
                    f'<depth>3</depth></size><segmented>0</segmented>{objects}</annotation>\n')
        ids.append(img_id)
    trainval = ids[:num_trainval]
    for split, split_ids in (('trainval', trainval), ('train', trainval[::2]),
                             ('val', trainval[1::2]), ('test', ids[num_trainval:])):
        with open(osp.join(main, f'{split}.txt'), 'w') as f:
            f.write(''.join(f'{img_id}\n' for img_id in split_ids))
    return root


WRITERS = {
    'CUB': write_cub,
    'ImageNet': write_imagenet,
    'ImageNet21k': lambda root: write_imagenet(root, splits=('train', )),
    'CIFAR10': write_cifar,
    'CIFAR100': lambda root: write_cifar(root, hundred=True),
    'MNIST': write_mnist,
    'VOC': write_voc,
}


def _loaders(cfg) -> List[str]:
    return [
        k for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        if cfg.get(k) is not None
    ]


def redirect(cfg, data_dir: str, work_dir: str) -> None:
    """Point the config at a tiny data set in ``data_dir`` and a scratch ``work_dir``.

    Changes: each data set's ``data_root`` / ``data_prefix`` (paths only), the loaders'
    ``batch_size`` (2), ``num_workers`` (0, so nothing forks on a shared 2-core machine) and
    ``persistent_workers``, ``train_cfg.max_epochs`` (1) and ``work_dir``. A scheduler without
    ``end`` gets the recipe's own ``max_epochs`` as its end, the value MMEngine would have given
    it, so that the schedule stays the recipe's (Swin's cosine begins at epoch 20).
    """
    recipe_epochs = cfg.train_cfg.get('max_epochs')
    schedulers = cfg.get('param_scheduler') or []
    for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
        if recipe_epochs and scheduler.get('by_epoch', True) and 'end' not in scheduler:
            scheduler['end'] = recipe_epochs
    written = {}
    for key in _loaders(cfg):
        loader = cfg[key]
        dataset = loader['dataset']
        kind = dataset['type']
        if kind not in WRITERS:
            raise NotImplementedError(f'the sweep writes no {kind} data set')
        if kind not in written:
            written[kind] = WRITERS[kind](osp.join(data_dir, kind))
        dataset[DATASET_ROOT_KEYS[kind]] = written[kind]
        loader['batch_size'] = 2
        loader['num_workers'] = 0
        loader['persistent_workers'] = False
    cfg.train_cfg['max_epochs'] = 1
    cfg.train_cfg.pop('max_iters', None)
    cfg.work_dir = work_dir


# ----------------------------------------------------------------------------------------------
# The comparison with mmpretrain's model
# ----------------------------------------------------------------------------------------------
def model_cfg(cfg) -> dict:
    """``cfg.model`` with the top-level ``data_preprocessor`` merged in, as the Runner does."""
    model = copy.deepcopy(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model)
    if cfg.get('data_preprocessor') is not None:
        merged = copy.deepcopy(dict(cfg.data_preprocessor))
        merged.update(model.get('data_preprocessor') or {})
        model['data_preprocessor'] = merged
    return model


def input_size(cfg) -> int:
    """The side of the images the model sees at test time (the last crop or resize)."""
    size = None
    loader = cfg.get('val_dataloader') or cfg.train_dataloader  # in21k's has no val loader
    for step in loader['dataset']['pipeline']:
        for key in ('crop_size', 'scale'):
            if step['type'] in ('CenterCrop', 'Resize', 'RandomCrop', 'RandomResizedCrop') \
                    and key in step:
                size = step[key]
    if size is None:
        return 32
    return size if isinstance(size, int) else size[0]


def build_mmpretrain_model(model: dict):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(copy.deepcopy(model))


def build_zoo_model(model: dict):
    from mmengine.registry import DefaultScope

    from zoo.registry import MODELS
    with DefaultScope.overwrite_default_scope('zoo'):
        return MODELS.build(copy.deepcopy(model))


def compare_models(cfg, result: dict, checkpoint: Optional[str] = None) -> None:
    """Keys and shapes, strict loading and logits of zoo's model against mmpretrain's. With
    ``checkpoint``, mmpretrain's model (seeded random weights) is saved there first."""
    import torch
    model = without_pretrained(model_cfg(cfg))  # the weights are copied from mmpretrain's
    torch.manual_seed(0)
    peer = build_mmpretrain_model(model).eval()
    if checkpoint:
        torch.save(dict(state_dict=pretrained_state(model, peer)), checkpoint)
    torch.manual_seed(0)
    ours = build_zoo_model(model).eval()
    peer_state, our_state = peer.state_dict(), ours.state_dict()
    missing = sorted(set(peer_state) - set(our_state))
    unexpected = sorted(set(our_state) - set(peer_state))
    shapes = sorted(
        k for k in set(peer_state) & set(our_state) if peer_state[k].shape != our_state[k].shape)
    result['keys'] = dict(
        peer=len(peer_state),
        zoo=len(our_state),
        equal=len(set(peer_state) & set(our_state)) - len(shapes))
    if missing or unexpected or shapes:
        result['model_error'] = (f'state dict differs: {len(missing)} keys only in '
                                 f'mmpretrain {missing[:3]}, {len(unexpected)} only in zoo '
                                 f'{unexpected[:3]}, {len(shapes)} shapes differ {shapes[:3]}')
        result['stage'] = result.get('stage') or 'keys'
        return
    ours.load_state_dict(peer_state, strict=True)
    # a LoRA checkpoint holds only the updates: the frozen weights are copied besides
    frozen = {k: v for k, v in peer.named_parameters() if k not in peer_state}
    if frozen:
        ours.load_state_dict(frozen, strict=False)
    size = input_size(cfg)
    channels = 1 if model['backbone'].get('type') == 'LeNet5' else 3
    inputs = torch.randn(2, channels, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, actual = peer(inputs), ours(inputs)
    diff = (expected - actual).abs().max().item()
    result['logits_max_abs_diff'] = diff
    if not torch.allclose(expected, actual, rtol=1e-4, atol=1e-5):
        result['model_error'] = f'logits differ: max abs diff {diff:.3g}'
        result['stage'] = result.get('stage') or 'logits'
        return
    result['model_equal'] = True


def pretrained_state(model: dict, peer) -> dict:
    """What the recipe's ``Pretrained`` checkpoint would hold: mmpretrain's model, or, for a
    LoRA recipe, which fine-tunes a plain model, mmpretrain's model with the wrapped module as
    its backbone."""
    import torch
    if model['backbone'].get('type') == 'LoRAModel':
        plain = dict(model, backbone=model['backbone']['module'])
        torch.manual_seed(0)
        return build_mmpretrain_model(plain).state_dict()
    return peer.state_dict()


def without_pretrained(node):
    """``node`` with every ``init_cfg`` of type Pretrained removed (nothing is downloaded)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == 'init_cfg' and isinstance(value, dict) and value.get('type') == 'Pretrained':
                value = None
            elif key == 'init_cfg' and isinstance(value, list):
                value = [
                    v for v in value if not (isinstance(v, dict) and v.get('type') == 'Pretrained')
                ] or None
            out[key] = without_pretrained(value)
        return out
    if isinstance(node, (list, tuple)):
        return type(node)(without_pretrained(v) for v in node)
    return node


def _pretrained_inits(node):
    """Every ``init_cfg`` of type Pretrained inside ``node``."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained':
            yield node
        for value in node.values():
            yield from _pretrained_inits(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _pretrained_inits(value)


# ----------------------------------------------------------------------------------------------
# One recipe
# ----------------------------------------------------------------------------------------------
def missing_from_zoo(cfg) -> List[str]:
    """Types the config names that zoo's registries (and MMEngine's through them) lack."""
    from mmengine.registry import DefaultScope

    import zoo.registry as registries
    from zoo.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    where = {
        'model': registries.MODELS,
        'visualizer': registries.VISUALIZERS,
        'default_hooks': registries.HOOKS,
        'custom_hooks': registries.HOOKS,
        'param_scheduler': registries.PARAM_SCHEDULERS,
        'val_evaluator': registries.METRICS,
        'test_evaluator': registries.METRICS,
        'optim_wrapper': registries.OPTIM_WRAPPERS,
    }
    missing = set()

    def walk(node, registry, key=''):
        if isinstance(node, dict):
            kind = node.get('type')
            reg = registry
            if key == 'optimizer':
                reg = registries.OPTIMIZERS
            elif key in ('pipeline', 'transforms'):
                reg = registries.TRANSFORMS
            elif key == 'dataset':
                reg = registries.DATASETS
            elif key == 'sampler':
                reg = registries.DATA_SAMPLERS
            elif key == 'vis_backends':
                reg = registries.VISBACKENDS
            elif key == 'augments':
                reg = registries.BATCH_AUGMENTS
            if isinstance(kind, str) and key not in ('init_cfg', 'norm_cfg', 'act_cfg', 'targets',
                                                     'conv_cfg', 'layer_cfgs'):
                with DefaultScope.overwrite_default_scope('zoo'):
                    if reg.get(kind) is None:
                        missing.add(kind)
            for k, v in node.items():
                walk(v, reg, k if isinstance(v, (dict, list, tuple)) else key)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v, registry, key)

    for key, registry in where.items():
        if cfg.get(key) is not None:
            walk(cfg[key], registry, key)
    for key in _loaders(cfg):
        walk(cfg[key], registries.DATASETS, key)
    return sorted(missing)


def run_recipe(path: str, train: bool = True) -> dict:
    """Train recipe ``path`` one epoch on zoo and compare its model with mmpretrain's.

    Returns a dict: ``name``, ``ran`` (the Runner built and trained one epoch), ``model_equal``,
    ``missing`` (types zoo lacks), ``stage`` and ``error`` of the first failure.
    """
    from mmengine.config import Config
    from mmengine.runner import Runner
    name = config_name(path)
    result = dict(name=name, ran=False, model_equal=False, stage=None, error=None)
    start = time.time()
    cfg = Config.fromfile(path)
    cfg.default_scope = 'zoo'
    result['missing'] = missing_from_zoo(cfg)
    with tempfile.TemporaryDirectory(prefix=f'sweep-{name}-') as tmp:
        checkpoint = osp.join(tmp, 'mmpretrain_model.pth')
        try:
            compare_models(cfg, result, checkpoint)
        except Exception as error:  # noqa: BLE001 (a row of the sweep records any failure)
            result['stage'] = 'model'
            result['model_error'] = f'{type(error).__name__}: {error}'[:600]
        if train and name not in NEEDS_GPU:
            # A recipe fine-tuning a published checkpoint (CUB, VOC; LoRA's is left for the
            # user to fill in) loads mmpretrain's model of the same config instead: nothing is
            # downloaded; a path is the only change.
            for init in _pretrained_inits(cfg.model):
                source = str(init.get('checkpoint') or '')
                if osp.exists(checkpoint) and ('://' in source or not source):
                    init['checkpoint'] = checkpoint
            try:
                redirect(cfg, osp.join(tmp, 'data'), osp.join(tmp, 'work'))
                runner = Runner.from_cfg(cfg)
                runner.train()
                result['ran'] = True
                del runner
            except Exception as error:  # noqa: BLE001
                result['stage'] = result['stage'] or 'runner'
                result['error'] = f'{type(error).__name__}: {error}'[:600]
                result['traceback'] = traceback.format_exc()[-3000:]
            gc.collect()
        elif name in NEEDS_GPU:
            result['error'] = f'not trained on CPU: {NEEDS_GPU[name]}'
    result['seconds'] = round(time.time() - start, 1)
    return result


def row_passes(result: dict) -> bool:
    return result['ran'] and result['model_equal']


# ----------------------------------------------------------------------------------------------
# The command line: every config in its own process
# ----------------------------------------------------------------------------------------------
def cost(path: str) -> tuple:
    """A rough order of training cost, so that a sweep does the cheap rows first."""
    name = config_name(path)
    heavy = sum(word in name for word in ('large', '152', '101', '384', 'base', 'in21k', 'wide'))
    return (heavy, 'cifar' not in name and 'mnist' not in name, name)


def summarize(results: List[dict]) -> str:
    lines = []
    for r in results:
        status = 'PASS' if row_passes(r) else 'FAIL'
        detail = r.get('error') or r.get('model_error') or ''
        keys = r.get('keys') or {}
        lines.append(f"{status} {r['name']:45s} ran={int(r['ran'])} "
                     f"model={int(r['model_equal'])} keys={keys.get('equal', '-')}/"
                     f"{keys.get('peer', '-')} missing={','.join(r.get('missing') or [])} "
                     f"{detail[:240]}")
    counted = [r for r in results if r['name'] not in EXCLUDED]
    ran = sum(r['ran'] for r in counted)
    equal = sum(r['model_equal'] for r in counted)
    both = sum(row_passes(r) for r in counted)
    lines.append(f'mmpretrain recipes: {len(counted)} (excluded {len(results) - len(counted)}: '
                 f'mmpretrain cannot build them)')
    lines.append(f'running on zoo: {ran} of {len(counted)}')
    lines.append(f"equal to mmpretrain's model: {equal} of {len(counted)}")
    lines.append(f'both: {both} of {len(counted)}')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('patterns', nargs='*', help='only configs whose name contains one')
    parser.add_argument('--worker', nargs='+', help=argparse.SUPPRESS)
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--jobs', type=int, default=2, help='worker processes')
    parser.add_argument(
        '--no-train',
        action='store_true',
        help="compare the models only (keys, strict loading, logits)")
    args = parser.parse_args(argv)
    if args.worker:  # run these configs in this process, one JSON line each as it finishes
        for path in args.worker:
            result = run_recipe(path, train=not args.no_train)
            with open(args.out, 'a') as f:
                f.write(json.dumps(result) + '\n')
        return 0
    paths = [
        p for p in leaf_configs()
        if not args.patterns or any(s in config_name(p) for s in args.patterns)
    ]
    extra = ['--no-train'] * args.no_train
    results = sweep_configs(paths, jobs=args.jobs, extra=extra, verbose=True)
    print(summarize(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


def sweep_configs(paths: Sequence[str],
                  jobs: int = 2,
                  extra: Sequence[str] = (),
                  verbose: bool = False) -> List[dict]:
    """Run ``paths`` in ``jobs`` worker processes (each a share, cheapest first, in-process)
    and return their results in name order; an excluded config is a row without a run."""
    results = [
        dict(
            name=config_name(p),
            ran=False,
            model_equal=False,
            missing=[],
            error=f'excluded: {EXCLUDED[config_name(p)]}') for p in paths
        if config_name(p) in EXCLUDED
    ]
    todo = sorted((p for p in paths if config_name(p) not in EXCLUDED), key=cost)
    with tempfile.TemporaryDirectory(prefix='mmpretrain-sweep-') as tmp:
        outs, procs = [], []
        for job in range(jobs):
            share = todo[job::jobs]
            if not share:
                continue
            outs.append(osp.join(tmp, f'{job}.jsonl'))
            procs.append(
                subprocess.Popen([
                    sys.executable, '-m', 'tests.parity.mmpretrain_sweep', '--out', outs[-1],
                    *extra, '--worker', *share
                ]))
        done = set()
        while True:
            running = [p.poll() is None for p in procs]
            for out in outs:
                if osp.exists(out):
                    with open(out) as f:
                        for line in f:
                            row = json.loads(line)
                            if row['name'] not in done:
                                done.add(row['name'])
                                results.append(row)
                                if verbose:
                                    print(summarize([row]).split('\n')[0], flush=True)
            if not any(running):
                break
            time.sleep(5)
    for path in todo:  # a worker that died leaves its remaining configs without a row
        if config_name(path) not in done:
            results.append(
                dict(
                    name=config_name(path),
                    ran=False,
                    model_equal=False,
                    missing=[],
                    stage='process',
                    error='the worker process died'))
    return sorted(results, key=lambda r: r['name'])


if __name__ == '__main__':
    sys.exit(main())
