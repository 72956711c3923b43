"""The model hub: every leaf config of the zoo by name, built with or without weights.

The configs ship inside the package (``zoo/.mim/configs``, as mmpretrain's and mmdet's do), so
this works from a pip-installed zoo anywhere, and another project can inherit a recipe with
``_base_ = 'zoo::resnet/resnet50_8xb32_in1k.py'``.

Example:
    >>> from zoo.apis import get_model, list_models
    >>> list(list_models('resnet50'))
    ['resnet50_1xb32-ft_photos', 'resnet50_8xb32_in1k']
    >>> list_models()['resnet50_8xb32_in1k'].params        # the metafile's published figure
    25560000
    >>> model = get_model('resnet18_8xb16_cifar10', head=dict(num_classes=5))
"""
import copy
import difflib
import fnmatch
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import import_modules_from_strings
from torch import nn

import zoo
from zoo.utils.metafile import MetafileModel, load_all_metafiles

PACKAGE_ROOT = Path(zoo.__file__).resolve().parent / '.mim'
CONFIG_ROOT = PACKAGE_ROOT / 'configs'
ModelSource = Union[str, Path, Config]


@dataclass
class ModelInfo:
    """A leaf config of the zoo and, when its family's metafile lists it, the published
    figures (``None`` where nothing is published)."""
    name: str
    config: Path
    metafile: Optional[MetafileModel] = None

    @property
    def params(self) -> Optional[int]:
        """Published parameter count: the publisher's, else torchvision's."""
        figures = self._figures()
        return figures.params if figures else None

    @property
    def flops(self) -> Optional[float]:
        """Published multiply-accumulates at the test size."""
        figures = self._figures()
        return figures.flops if figures else None

    @property
    def top1(self) -> Optional[float]:
        figures = self._figures()
        return figures.top1 if figures else None

    @property
    def top5(self) -> Optional[float]:
        figures = self._figures()
        return figures.top5 if figures else None

    @property
    def weights(self) -> Optional[str]:
        """URL of the published weights ``get_model(name, pretrained=True)`` loads: the
        torchvision checkpoint of the same architecture, converted to zoo's keys on load."""
        entry = self.metafile
        return entry.torchvision.url if entry is not None and entry.torchvision else None

    def _figures(self):
        entry = self.metafile
        if entry is None:
            return None
        return entry.published or entry.torchvision

    def __repr__(self) -> str:
        figures = [
            f'{self.params / 1e6:.2f} M params' if self.params else None,
            f'{self.flops / 1e9:.2f} GFLOPs' if self.flops else None,
            f'top-1 {self.top1}' if self.top1 else None, 'weights' if self.weights else None
        ]
        details = ', '.join(f for f in figures if f)
        return f'ModelInfo({self.name}{": " + details if details else ""})'


@lru_cache(maxsize=None)
def _hub(config_root: Path = CONFIG_ROOT) -> Dict[str, ModelInfo]:
    if not config_root.is_dir():
        raise FileNotFoundError(f'the zoo configs are not at {config_root}: the package was '
                                'built without them (see setup.py, package_data)')
    metafiles = load_all_metafiles(config_root)
    models: Dict[str, ModelInfo] = {}
    for path in sorted(config_root.glob('*/*.py')):
        if path.parent.name == '_base_':
            continue
        if path.stem in models:
            raise ValueError(f'two configs are named {path.stem}: {models[path.stem].config} '
                             f'and {path}')
        models[path.stem] = ModelInfo(path.stem, path, metafiles.get(path.stem))
    return dict(sorted(models.items()))


def list_models(pattern: Optional[str] = None) -> Dict[str, ModelInfo]:
    """The zoo's models by name (the config file name without ``.py``), sorted.

    Args:
        pattern: An ``fnmatch`` pattern matched against the start of the names, as
            mmpretrain's ``list_models`` does: ``'resnet'`` and ``'*cifar10'`` both work.

    Returns:
        dict[str, ModelInfo]: Iterates like mmpretrain's list of names; each value holds the
        config path and the metafile's figures.
    """
    models = _hub()
    if pattern is None:
        return dict(models)
    return {name: info for name, info in models.items() if fnmatch.fnmatch(name, pattern + '*')}


def get_model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of ``name``; an unknown name raises a ``ValueError`` that lists
    the closest names."""
    models = _hub()
    if name not in models:
        close = difflib.get_close_matches(name, models, n=5, cutoff=0.4)
        hint = f'; closest: {", ".join(close)}' if close else ''
        raise ValueError(f'no zoo model named {name!r}{hint} (list_models() has all '
                         f'{len(models)})')
    return models[name]


def load_config(source: ModelSource) -> Config:
    """A :class:`Config` from a zoo model name, a config file or a ``Config`` (copied)."""
    if isinstance(source, Config):
        return copy.deepcopy(source)
    source = str(source)
    if source.endswith('.py') or '::' in source:
        if '::' not in source and not Path(source).is_file():
            raise FileNotFoundError(f'config file {source} does not exist')
        return Config.fromfile(source)
    return Config.fromfile(get_model_info(source).config)


def build_model(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` in the config's scope (``zoo``, or ``mmdet`` for a detector, with
    the config's ``custom_imports`` imported), with a top-level ``data_preprocessor`` merged in
    as the Runner does."""
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    scope = cfg.get('default_scope', 'zoo')
    if scope == 'zoo':
        zoo.utils.register_all_modules(init_default_scope=False)
    from mmengine.registry import MODELS
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
    model.cfg = cfg
    return model


def get_model(model: ModelSource,
              pretrained: Union[bool, str, None] = None,
              device: Union[str, torch.device, None] = None,
              **overrides) -> nn.Module:
    """Build a zoo model, optionally with weights, in eval mode.

    Args:
        model: A name from :func:`list_models`, a config file (``zoo::`` paths included) or a
            ``Config``.
        pretrained: ``None``/``False``: random weights (the modules' default initialisation);
            a checkpoint path or URL; ``True``: the published weights of the model's metafile
            entry (downloaded once into torch's hub cache, then converted to zoo's keys).
        device: Where to put the model (default: CPU).
        **overrides: Merged into the model config first, e.g. ``head=dict(num_classes=5)``.

    Returns:
        nn.Module: The model, with ``cfg`` (the config it was built from) and, where the
        classes are known, ``dataset_meta = {'classes': (...)}``.
    """
    name = None if isinstance(model, Config) or str(model).endswith('.py') or \
        '::' in str(model) else str(model)
    cfg = load_config(model)
    if overrides:
        cfg.merge_from_dict({f'model.{key}': value for key, value in overrides.items()})
    net = build_model(cfg)
    net.dataset_meta = _classes_of_config(cfg, name)
    if pretrained is True:
        _load_published_weights(net, name)
    elif pretrained:
        load_weights(net, str(pretrained))
    return net.to(device or 'cpu').eval()


def init_model(config: ModelSource,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None,
               **overrides) -> nn.Module:
    """mmpretrain's ``init_model``: :func:`get_model` with a checkpoint path or URL."""
    return get_model(config, pretrained=checkpoint, device=device, **overrides)


def load_weights(model: nn.Module, checkpoint: str) -> dict:
    """Load a checkpoint (path or URL, weights-only) into ``model``, strictly.

    The checkpoint's ``meta.dataset_meta`` (written by MMEngine's Runner) becomes the model's
    ``dataset_meta``.

    Raises:
        ValueError: Naming the keys whose shapes differ (both shapes; for the head, the class
            counts) and the missing or unexpected keys.
    """
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded) if isinstance(loaded, dict) else loaded
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    check_state_dict(model, state, checkpoint)
    model.load_state_dict(state, strict=True)
    meta = loaded.get('meta', {}) if isinstance(loaded, dict) else {}
    if isinstance(meta, dict) and isinstance(meta.get('dataset_meta'), dict) and \
            meta['dataset_meta'].get('classes'):
        model.dataset_meta = dict(meta['dataset_meta'])
    return loaded


def check_state_dict(model: nn.Module, state: Dict[str, torch.Tensor], source: str) -> None:
    """Raise a ``ValueError`` naming every difference between ``state`` and ``model``'s own
    state dict (shapes first: another class count is the common one)."""
    expected = model.state_dict()
    mismatched = [(key, tuple(state[key].shape), tuple(value.shape))
                  for key, value in expected.items()
                  if key in state and state[key].shape != value.shape]
    if mismatched:
        lines = [f'{key}: checkpoint {got}, model {want}' for key, got, want in mismatched]
        head = [(key, got, want) for key, got, want in mismatched
                if 'head' in key.split('.')[0] and key.endswith(('weight', 'bias'))]
        hint = ''
        if head:
            key, got, want = head[-1]
            hint = (f'. The checkpoint was trained for {got[0]} classes and the model has '
                    f'{want[0]}: build it with head=dict(num_classes={got[0]})')
        raise ValueError(f'checkpoint {source} does not fit the model: ' + '; '.join(lines) + hint)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f'checkpoint {source} does not fit the model: missing keys '
                         f'{_few(missing)}, unexpected keys {_few(unexpected)}')


def _few(keys: Sequence[str], n: int = 6) -> str:
    return '[' + ', '.join(keys[:n]) + (', ...' if len(keys) > n else '') + f'] ({len(keys)})'


def _load_published_weights(model: nn.Module, name: Optional[str]) -> None:
    if name is None:
        raise ValueError('pretrained=True needs a zoo model name (the metafile says which '
                         'weights); for a config file, pass the checkpoint path or URL')
    info = get_model_info(name)
    if info.metafile is None:
        raise ValueError(f'{name} has no metafile entry, so no published weights: pass '
                         'pretrained=<checkpoint path or URL>')
    block = info.metafile.torchvision
    if block is None:
        raise ValueError(f'{name}: its metafile entry ({info.metafile.metafile}) publishes no '
                         'weights: pass pretrained=<checkpoint path or URL>')
    state = CheckpointLoader.load_checkpoint(block.url, map_location='cpu')
    converted = _torchvision_converter().convert(block.name, state)
    check_state_dict(model, converted, block.url)
    model.load_state_dict(converted, strict=True)
    categories = _torchvision_categories(block.name, block.weights)
    if categories:
        model.dataset_meta = dict(classes=categories)


def _torchvision_converter():
    """:mod:`zoo.converters.torchvision_to_zoo` (imported when weights are converted)."""
    from zoo.converters import torchvision_to_zoo
    return torchvision_to_zoo


def _torchvision_categories(arch: str, weights: str) -> Optional[tuple]:
    import torchvision
    try:
        meta = torchvision.models.get_model_weights(arch)[weights].meta
    except (KeyError, ValueError):
        return None
    return tuple(meta.get('categories') or ()) or None


def _classes_of_config(cfg: Config, name: Optional[str]) -> Optional[dict]:
    """The class names a model predicts: the test data set's ``metainfo`` or its class's
    ``METAINFO``, else, for an ImageNet-1k recipe with a torchvision counterpart, torchvision's
    ImageNet categories."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    while 'dataset' in dataset:  # wrappers (RepeatDataset, ClassBalancedDataset)
        dataset = dataset['dataset']
    classes = (dataset.get('metainfo') or {}).get('classes')
    if not classes and isinstance(dataset.get('type'), str) and \
            cfg.get('default_scope', 'zoo') == 'zoo':
        from zoo.registry import DATASETS
        dataset_class = DATASETS.get(dataset['type'])
        classes = getattr(dataset_class, 'METAINFO', {}).get('classes') if dataset_class \
            else None
    if not classes and name is not None:
        entry = _hub().get(name)
        if entry is not None and entry.metafile is not None and entry.metafile.torchvision:
            block = entry.metafile.torchvision
            classes = _torchvision_categories(block.name, block.weights)
    return dict(classes=tuple(classes)) if classes else None
