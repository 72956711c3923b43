"""mmdet 3.3.0's packaged configs, built once with mmdet's parts and once with zoo's, compared.

A config qualifies when its model names a type that zoo registers (``ResNet``, ``FPN``,
``CrossEntropyLoss``...). Its zoo twin renames every such type to ``zoo.<type>``, as a user
would (``custom_imports=dict(imports=['zoo'])``); both are built with mmdet's ``MODELS`` in
mmdet's default scope. The twin equals mmdet's model when

1. the state dicts have the same keys and shapes, and mmdet's weights load into zoo's strictly;
2. the backbone's and the neck's outputs are equal in eval mode (max abs diff <= 1e-5);
3. after ``model.train()`` every module is in the same train/eval mode (a module only one side
   has must hold no state: :func:`modes_equal`);
4. ``model.loss`` gives the same losses on the same synthetic image, seeded the same way.

Configs are deduplicated by model dict. A config that mmdet itself cannot build here is excluded,
with the reason; everything else counts.
"""
import copy
import gc
import json
import random
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

import numpy as np
import torch

FEATURE_TOLERANCE = 1e-5
LOSS_RTOL, LOSS_ATOL = 1e-5, 1e-6
CHECKS = ('build', 'keys', 'load', 'features', 'modes', 'loss')


def config_root() -> Path:
    import mmdet
    return Path(mmdet.__file__).parent / '.mim' / 'configs'


def leaf_configs() -> List[Path]:
    """mmdet's packaged configs, without the ``_base_`` fragments."""
    return sorted(p for p in config_root().rglob('*.py') if '_base_' not in p.parts)


def zoo_model_types() -> Set[str]:
    """The types zoo registers in its MODELS (importing zoo.models registers them all)."""
    import zoo.models  # noqa: F401
    from zoo.registry import MODELS
    return set(MODELS.module_dict)


def named_types(obj) -> Iterator[str]:
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            yield obj['type']
        for value in obj.values():
            yield from named_types(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from named_types(value)


def to_zoo(obj, types: Set[str]):
    """A copy of a config tree with every ``type`` zoo registers renamed ``zoo.<type>``."""
    if isinstance(obj, dict):
        out = {key: to_zoo(value, types) for key, value in obj.items()}
        if isinstance(out.get('type'), str) and out['type'] in types:
            out['type'] = 'zoo.' + out['type']
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_zoo(value, types) for value in obj)
    return obj


def model_dict(path: Path) -> Optional[dict]:
    """The config's ``model`` (``None`` for a fragment without one, e.g. a TTA or schedule)."""
    from mmengine.config import Config
    model = Config.fromfile(str(path)).get('model')
    return None if model is None else model.to_dict()


@dataclass
class Case:
    """One distinct model dict and the configs that hold it."""
    configs: List[str]
    model: dict
    zoo_types: List[str]

    @property
    def name(self) -> str:
        return self.configs[0]


def qualifying_cases(
        paths: Optional[Iterable[Path]] = None) -> Tuple[List[Case], int, Dict[str, str]]:
    """The distinct model dicts of the configs that name a zoo type.

    Returns:
        ``(cases, number of qualifying configs, {config: reason})`` for configs whose file
        cannot even be read.
    """
    types = zoo_model_types()
    root = config_root()
    by_model: Dict[str, Case] = {}
    unreadable: Dict[str, str] = {}
    count = 0
    for path in paths if paths is not None else leaf_configs():
        name = str(path.relative_to(root)) if path.is_absolute() else str(path)
        try:
            model = model_dict(root / name)
        except Exception as error:  # noqa: BLE001  (reported, not hidden)
            unreadable[name] = f'{type(error).__name__}: {error}'[:300]
            continue
        used = sorted(set(named_types(model or {})) & types)
        if not used:
            continue
        count += 1
        key = json.dumps(model, sort_keys=True, default=repr)
        if key in by_model:
            by_model[key].configs.append(name)
        else:
            by_model[key] = Case([name], model, used)
    return list(by_model.values()), count, unreadable


@dataclass
class Result:
    case: Case
    passed: Dict[str, bool] = field(default_factory=dict)
    detail: str = ''
    excluded: bool = False  # mmdet itself cannot build the config here
    mmdet_fails: str = ''  # the check at which mmdet's own model fails here (nothing to compare)

    @property
    def equal(self) -> bool:
        return not self.excluded and all(self.passed.get(check) for check in CHECKS)

    def line(self) -> str:
        if self.excluded:
            status = 'EXCLUDED (mmdet cannot build it)'
        elif self.equal:
            status = 'equal'
        elif self.mmdet_fails:
            status = f'NOT COMPARED at {self.mmdet_fails}: mmdet\'s own model fails'
        else:
            failed = next(check for check in CHECKS if not self.passed.get(check))
            status = f'DIFFERS at {failed}'
        return f'{self.case.name} [{",".join(self.case.zoo_types)}]: {status} {self.detail}'


def build(model_cfg: dict, seed: int = 0):
    from mmdet.registry import MODELS
    from mmengine.config import ConfigDict
    torch.manual_seed(seed)
    return MODELS.build(ConfigDict(copy.deepcopy(model_cfg)))  # mmdet reads cfg.rpn...


def detector_part(model):
    """The module holding ``backbone`` (the model, or a tracker's ``detector``)."""
    return model if hasattr(model, 'backbone') else getattr(model, 'detector', model)


def tensors(obj) -> List[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (list, tuple)):
        return [t for item in obj for t in tensors(item)]
    return []


def max_difference(ours, theirs) -> float:
    ours, theirs = tensors(ours), tensors(theirs)
    if len(ours) != len(theirs) or any(a.shape != b.shape for a, b in zip(ours, theirs)):
        return float('inf')
    return max(((a.float() - b.float()).abs().max().item() for a, b in zip(ours, theirs)),
               default=0.0)


def synthetic_batch(model, size: int, images: int = 1, seed: int = 0) -> Tuple[torch.Tensor, list]:
    """``images`` seeded random images, each with two boxes (their masks, a semantic map and
    two proposals), through the model's own data preprocessor in training mode."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData, PixelData

    generator = torch.Generator().manual_seed(seed)
    scale = size / 64
    boxes = torch.tensor([[4., 6., 40., 44.], [20., 16., 60., 58.]]) * scale
    masks = np.zeros((2, size, size), dtype=np.uint8)
    sem_seg = torch.full((1, size, size), 255, dtype=torch.long)
    for i, (x1, y1, x2, y2) in enumerate(boxes.round().long().tolist()):
        masks[i, y1:y2, x1:x2] = 1
        sem_seg[0, y1:y2, x1:x2] = 0
    inputs, samples = [], []
    for index in range(images):
        inputs.append(
            torch.randint(0, 256, (3, size, size), generator=generator, dtype=torch.uint8))
        sample = DetDataSample(
            metainfo=dict(
                img_id=index,
                img_path=f'synthetic{index}.png',
                ori_shape=(size, size),
                img_shape=(size, size),
                pad_shape=(size, size),
                scale_factor=(1.0, 1.0),
                flip=False,
                flip_direction=None))
        sample.gt_instances = InstanceData(
            bboxes=boxes.clone(),
            labels=torch.zeros(2, dtype=torch.long),
            masks=BitmapMasks(masks.copy(), size, size))
        sample.ignored_instances = InstanceData(
            bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
        sample.gt_sem_seg = PixelData(sem_seg=sem_seg.clone())
        # the proposals a Fast R-CNN (a detector without an RPN) reads from its samples
        sample.proposals = InstanceData(bboxes=boxes + 1.0, scores=torch.ones(2))
        samples.append(sample)
    seed_everything(seed)
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training=True)
    return data['inputs'], data['data_samples']


def seed_everything(seed: int) -> None:
    from mmengine.logging import MessageHub

    # the first iteration of the first epoch, as the Runner records it (YOLOX's batch resize
    # and TOOD's head read them)
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    hub.update_info('epoch', 0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def stateless(module: torch.nn.Module) -> bool:
    return not any(True for _ in module.parameters()) and not any(True for _ in module.buffers())


def modes_equal(ours, theirs) -> Tuple[bool, str]:
    """Whether every module of both models is in the same train/eval mode. A module only one
    side has must hold no parameters or buffers (zoo's Swin calls softmax and unfold as
    functions where mmdet has ``softmax`` and ``sampler`` modules); what such a module does in
    training shows in the losses, which are compared next."""
    our_modules, their_modules = dict(ours.named_modules()), dict(theirs.named_modules())
    one_sided = [(name, module)
                 for modules, other in ((our_modules, their_modules), (their_modules, our_modules))
                 for name, module in modules.items() if name not in other]
    with_state = [name for name, module in one_sided if not stateless(module)]
    if with_state:
        return False, f'modules with state only one side has: {sorted(with_state)[:4]}'
    differ = [
        name for name in our_modules
        if name in their_modules and our_modules[name].training != their_modules[name].training
    ]
    if differ:
        return False, f'modes differ at {differ[:4]}'
    return True, ''


def losses_equal(ours: dict, theirs: dict) -> Tuple[bool, str]:
    if not theirs:
        return False, 'mmdet\'s model.loss returned no losses'
    if set(ours) != set(theirs):
        return False, f'loss keys {sorted(ours)} vs mmdet {sorted(theirs)}'
    for key in theirs:
        a, b = tensors(ours[key]), tensors(theirs[key])
        if len(a) != len(b) or not all(
                x.shape == y.shape and torch.allclose(x.float(), y.float(), LOSS_RTOL, LOSS_ATOL)
                for x, y in zip(a, b)):
            shown = [round(t.float().sum().item(), 6) for t in a], \
                [round(t.float().sum().item(), 6) for t in b]
            return False, f'{key}: zoo {shown[0]} vs mmdet {shown[1]}'
    return True, ''


def anchor_input_size(obj) -> int:
    """The largest ``input_size`` an anchor generator of the model dict fixes (SSD's 300 or
    512 px, whose six feature maps need it), else 0."""
    if isinstance(obj, dict):
        own = obj.get('input_size') if 'Anchor' in str(obj.get('type', '')) else None
        return max([own or 0] + [anchor_input_size(v) for v in obj.values()])
    if isinstance(obj, (list, tuple)):
        return max([0] + [anchor_input_size(v) for v in obj])
    return 0


RETRY_SIZE = 256  # and two images: a batch of one has 1 value per channel after a pooling
RETRY_IMAGES = 2


def compare(case: Case, size: int = 64, zoo_model: Optional[dict] = None) -> Result:
    """Build ``case`` with mmdet's parts and with zoo's (``zoo_model``: instead of renaming the
    zoo types of ``case.model``), and run the four checks on a ``size`` px image (or the size
    the model's anchors are laid out for). Where mmdet's own model fails on that image (a map
    of 1 x 1 pixel in a BatchNorm, fewer anchors than a DETR's top-k), the checks run again on
    ``RETRY_IMAGES`` images of ``RETRY_SIZE`` px."""
    result = _compare(case, size, zoo_model)
    if result.mmdet_fails and size < RETRY_SIZE:
        retried = _compare(case, RETRY_SIZE, zoo_model, RETRY_IMAGES)
        retried.detail = (retried.detail + f' (on {RETRY_IMAGES} images of {RETRY_SIZE} px; '
                          f'on one of {size} px mmdet\'s own model fails: '
                          f'{result.detail})').strip()[:600]
        return retried
    return result


def _compare(case: Case, size: int, zoo_model: Optional[dict], images: int = 1) -> Result:
    from mmengine.registry import DefaultScope
    result = Result(case)
    size = max(size, anchor_input_size(case.model))
    with DefaultScope.overwrite_default_scope('mmdet'):
        try:
            theirs = build(case.model)
        except Exception as error:  # noqa: BLE001
            result.excluded = True
            result.detail = f'{type(error).__name__}: {error}'[:300]
            return result
        try:
            ours = build(zoo_model or to_zoo(case.model, set(case.zoo_types)))
            result.passed['build'] = True
            _run_checks(result, ours, theirs, size, images)
        except Exception as error:  # noqa: BLE001  (the failure is the finding)
            failed = next(check for check in CHECKS if check not in result.passed)
            result.passed.setdefault(failed, False)
            last = traceback.extract_tb(error.__traceback__)[-1]
            result.detail = (f'{type(error).__name__}: {error} '
                             f'({Path(last.filename).name}:{last.lineno})')[:400]
        finally:
            gc.collect()
    return result


def _run_checks(result: Result, ours, theirs, size: int, images: int) -> None:
    passed = result.passed
    our_state, their_state = ours.state_dict(), theirs.state_dict()
    shapes = {k: tuple(v.shape) for k, v in our_state.items()}
    their_shapes = {k: tuple(v.shape) for k, v in their_state.items()}
    passed['keys'] = shapes == their_shapes
    if not passed['keys']:
        only_ours = sorted(set(shapes) - set(their_shapes))[:3]
        only_theirs = sorted(set(their_shapes) - set(shapes))[:3]
        mismatched = [k for k in shapes if k in their_shapes and shapes[k] != their_shapes[k]]
        result.detail = f'only zoo {only_ours}, only mmdet {only_theirs}, shape {mismatched[:3]}'
        return
    ours.load_state_dict(their_state, strict=True)
    passed['load'] = True

    ours.eval()
    theirs.eval()
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(images, 3, size, size, generator=generator)
    our_part, their_part = detector_part(ours), detector_part(theirs)
    with torch.no_grad():
        try:
            their_feats = their_part.backbone(x)
            their_neck = their_part.neck(their_feats) \
                if getattr(their_part, 'neck', None) is not None else None
        except Exception as error:  # noqa: BLE001  (e.g. an mmcv op this machine lacks)
            passed['features'] = False
            result.mmdet_fails = 'features'
            result.detail = f'{type(error).__name__}: {error}'[:300]
            return
        if not all(torch.isfinite(t).all() for t in tensors((their_feats, their_neck))):
            # e.g. TridentNet's convolutions, whose weights only init_weights fills
            passed['features'] = False
            result.mmdet_fails = 'features'
            result.detail = 'mmdet\'s own backbone/neck outputs are not finite'
            return
        our_feats = our_part.backbone(x)
        diff = max_difference(our_feats, their_feats)
        if their_neck is not None:
            diff = max(diff, max_difference(our_part.neck(our_feats), their_neck))
    passed['features'] = diff <= FEATURE_TOLERANCE
    if not passed['features']:
        result.detail = f'backbone/neck max abs diff {diff:.3g}'
        return

    ours.train()
    theirs.train()
    passed['modes'], detail = modes_equal(ours, theirs)
    if not passed['modes']:
        result.detail = detail
        return

    try:
        inputs, samples = synthetic_batch(theirs, size, images)
        seed_everything(0)
        their_losses = theirs.loss(inputs, copy.deepcopy(samples))
    except Exception as error:  # noqa: BLE001  (e.g. a tracker that wants video samples)
        passed['loss'] = False
        result.mmdet_fails = 'loss'
        result.detail = (f'on the synthetic image: {type(error).__name__}: {error}')[:300]
        return
    if not all(torch.isfinite(t).all() for t in tensors(their_losses)):
        passed['loss'] = False
        result.mmdet_fails = 'loss'
        result.detail = 'mmdet\'s own losses are not finite on the synthetic image'
        return
    seed_everything(0)
    our_losses = ours.loss(inputs, copy.deepcopy(samples))
    passed['loss'], result.detail = losses_equal(our_losses, their_losses)


def summary(results: List[Result], qualifying: int) -> str:
    built = [r for r in results if not r.excluded]
    equal = [r for r in built if r.equal]
    not_compared = [r for r in built if r.mmdet_fails]
    configs = sum(len(r.case.configs) for r in equal)
    built_configs = sum(len(r.case.configs) for r in built)
    return (f'{len(equal)} of {len(built)} distinct model dicts equal ({configs} of '
            f'{built_configs} configs that mmdet builds here; {qualifying} configs qualify, '
            f'{len(results)} distinct model dicts, {len(results) - len(built)} excluded as '
            f'mmdet cannot build them, {len(not_compared)} where mmdet\'s own model fails at a '
            f'later check)')


def interleave_families(cases: List[Case]) -> List[Case]:
    """The cases one family (config folder) at a time in turn, so that a partial log of a long
    sweep already covers every family."""
    families: Dict[str, List[Case]] = {}
    for case in cases:
        families.setdefault(case.name.split('/')[0], []).append(case)
    queues = list(families.values())
    ordered = []
    while queues:
        ordered += [queue.pop(0) for queue in queues]
        queues = [queue for queue in queues if queue]
    return ordered


STATUSES = {
    'equal': 'equal',
    'EXCLUDED': 'excluded',
    'NOT COMPARED': 'not compared',
    'DIFFERS': 'differs'
}


def logged_results(paths: Iterable[Path]) -> Dict[str, str]:
    """``{first config of a model dict: status}`` from the result lines of sweep logs
    (``[i/n] <config> [<types>]: <status> ...``); a later line wins."""
    found = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if not line.startswith('[') or ']: ' not in line:
                continue
            name = line.split('] ', 1)[1].split(' [', 1)[0]
            status = line.split(']: ', 1)[1]
            found[name] = next((value for key, value in STATUSES.items() if status.startswith(key)),
                               status)
    return found


def summarize_logs(paths: Iterable[Path], names: Optional[Iterable[str]] = None) -> str:
    """The figures of one sweep run as several logs (shards, a resumed run) over every
    qualifying config (or the named ones): model dicts and configs equal, excluded, not
    compared, differing, and not yet logged."""
    cases, qualifying, _ = qualifying_cases(None if names is
                                            None else [config_root() / name for name in names])
    logged = logged_results(paths)
    dicts: Dict[str, int] = {}
    configs: Dict[str, int] = {}
    for case in cases:
        status = logged.get(case.name, 'not logged')
        dicts[status] = dicts.get(status, 0) + 1
        configs[status] = configs.get(status, 0) + len(case.configs)
    built = sum(n for status, n in dicts.items() if status not in ('excluded', 'not logged'))
    built_configs = sum(n for status, n in configs.items()
                        if status not in ('excluded', 'not logged'))
    parts = ', '.join(f'{status} {dicts[status]} ({configs[status]} configs)'
                      for status in sorted(dicts))
    return (f'{dicts.get("equal", 0)} of {built} distinct model dicts that mmdet builds equal '
            f'({configs.get("equal", 0)} of {built_configs} configs); {qualifying} configs '
            f'qualify, {len(cases)} distinct model dicts: {parts}')


Shard = Tuple[int, int]


def sweep(names: Optional[Iterable[str]] = None,
          size: int = 64,
          log=print,
          shard: Shard = (1, 1),
          skip: Iterable[str] = (),
          limit: Optional[int] = None) -> Tuple[List[Result], int]:
    """Compare every qualifying config (or the named ones); log one line each, then the
    summary. Returns the results and the number of qualifying configs.

    ``shard=(k, n)`` compares every n-th model dict from the k-th (1-based) only, so that n
    processes share the sweep; ``skip`` names model dicts (by their first config) already
    compared, to resume a run; ``limit`` stops after that many (a fresh process a batch keeps
    the memory of a long run in bounds). :func:`summarize_logs` adds up the logs.
    """
    paths = None if names is None else [config_root() / name for name in names]
    cases, qualifying, unreadable = qualifying_cases(paths)
    index, count = shard
    if not 1 <= index <= count:
        raise ValueError(f'shard must be k/n with 1 <= k <= n, got {index}/{count}')
    skip = set(skip)
    cases = [case for case in interleave_families(cases)[index - 1::count] if case.name not in skip]
    cases = cases[:limit]
    for name, reason in unreadable.items():
        log(f'{name}: UNREADABLE {reason}')
    results = []
    for index, case in enumerate(cases, 1):
        results.append(compare(case, size))
        log(f'[{index}/{len(cases)}] {results[-1].line()}')
    log(summary(results, qualifying))
    return results, qualifying


if __name__ == '__main__':
    import argparse
    import sys
    import warnings
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs', nargs='*', help='configs relative to mmdet/.mim/configs '
        '(default: all)')
    parser.add_argument('--size', type=int, default=64, help='synthetic image size')
    parser.add_argument(
        '--shard',
        default='1/1',
        help='k/n: every n-th model dict from the k-th, for n '
        'processes')
    parser.add_argument(
        '--skip-logged',
        nargs='+',
        default=[],
        metavar='LOG',
        help='skip the model dicts these '
        'logs have a result for (resume)')
    parser.add_argument('--limit', type=int, help='compare at most this many model dicts')
    parser.add_argument(
        '--summarize',
        nargs='+',
        metavar='LOG',
        help='only add up these logs (shards, resumed '
        'runs) and print the figures')
    args = parser.parse_args()
    warnings.filterwarnings('ignore')
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine', log_level='ERROR')
    import mmdet.models  # noqa: F401  (registers mmdet's parts)
    if args.summarize:
        print(summarize_logs(args.summarize))
        sys.exit(0)
    shard = tuple(int(part) for part in args.shard.split('/'))
    results, _ = sweep(
        args.configs or None,
        args.size,
        log=lambda s: print(s, flush=True),
        shard=shard,
        skip=logged_results(args.skip_logged),
        limit=args.limit)
    sys.exit(0)
