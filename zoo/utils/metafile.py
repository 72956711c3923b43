"""Read and validate the ``configs/<family>/metafile.yml`` files: the published figures each
zoo classification config is compared with.

The format is mmpretrain's (``Collections`` and ``Models``), with one addition, the
``Torchvision`` block, so that both published zoos sit beside each config::

    Collections:
    - Name: ResNet                        # referenced by the models' ``In Collection``
      Metadata: {Training Data: ImageNet-1k, Architecture: [ResNet]}
      Paper: {Title: Deep Residual Learning for Image Recognition, URL: https://...}
    Models:
    - Name: resnet50_8xb32_in1k           # the config's file name without ``.py``
      Metadata:
        Published By: mmpretrain          # whose figures Parameters/FLOPs/Results are:
                                          # 'mmpretrain' or 'paper' (absent: none published)
        Source: resnet50_8xb32_in1k       # where exactly: mmpretrain's model name (its
                                          # installed metafile.yml holds the same figures), or
                                          # the paper's table ('CBAM paper, Table 4')
        Parameters: 25560000              # as published (mmpretrain: 25.56 M)
        FLOPs: 4120000000                 # multiply-accumulates at 224 px, as published
        Training Data: ImageNet-1k
      In Collection: ResNet
      Results:                            # optional; the publisher's accuracy
      - {Task: Image Classification, Dataset: ImageNet-1k,
         Metrics: {Top 1: 76.55, Top 5: 93.06}}
      Torchvision:                        # optional; torchvision's model of the same architecture
        Name: resnet50                    # torchvision.models name
        Weights: IMAGENET1K_V1            # the weights enum member the figures describe
        URL: https://download.pytorch.org/models/resnet50-0676ba61.pth
        Parameters: 25557032              # exact (``num_params``)
        FLOPs: 4089000000                 # ``_ops`` GFLOPS x 1e9
        Metrics: {Top 1: 76.13, Top 5: 92.862}
        Excluded From Parameters: [head.aux]  # optional: zoo parameter prefixes torchvision's
                                              # count leaves out (GoogLeNet's auxiliaries)
      Config: configs/resnet/resnet50_8xb32_in1k.py
      Notes: ...                          # optional free text

Each figure is written here once and says where it comes from: ``Published By`` and ``Source``
for ``Metadata`` and ``Results``, ``Weights`` (torchvision's weights enum, whose ``meta`` holds
them) for the ``Torchvision`` block; the tests compare both with the installed mmpretrain and
torchvision (:func:`load_mmpretrain_metafiles`).

Parameter counts are checked against the zoo model (:func:`check_parameters`): exactly
against ``Torchvision.Parameters``, and within :data:`PARAM_TOLERANCE` of ``Metadata``'s
(published rounded: mmpretrain to 0.01 M, papers to 0.1 M).

Example:
    >>> from zoo.utils.metafile import load_all_metafiles
    >>> models = load_all_metafiles('configs')
    >>> models['resnet50_8xb32_in1k'].torchvision.params
    25557032
"""
import functools
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import yaml

# Relative tolerance of a published (rounded) parameter count, by publisher.
PARAM_TOLERANCE = {'mmpretrain': 0.005, 'paper': 0.01}
# Plausible ranges of the figures: a value outside is a typo (e.g. M instead of units).
PARAM_RANGE = (1e4, 1e9)
FLOPS_RANGE = (1e6, 1e12)
PUBLISHERS = tuple(PARAM_TOLERANCE)


class MetafileError(ValueError):
    """A metafile that does not follow the schema; the message names the file and model."""


@dataclass
class Figures:
    """Published figures of one model by one publisher (any of them may be unpublished):
    ``source`` is the publisher, ``reference`` where it publishes them."""
    source: str
    params: Optional[int] = None
    flops: Optional[int] = None
    top1: Optional[float] = None
    top5: Optional[float] = None
    reference: str = ''


@dataclass
class TorchvisionFigures(Figures):
    """torchvision's model of the same architecture and its weights' published figures."""
    name: str = ''
    weights: str = ''
    url: str = ''
    excluded: List[str] = field(default_factory=list)


@dataclass
class MetafileModel:
    """One ``Models`` entry: the zoo config and the figures published for it."""
    name: str
    config: Path  # absolute
    collection: str
    metafile: Path
    published: Optional[Figures]  # mmpretrain's or the paper's
    torchvision: Optional[TorchvisionFigures]


def _require(mapping: Any, key: str, kind: Union[type, Tuple[type, ...]], where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise MetafileError(f'{where}: missing key {key!r}')
    value = mapping[key]
    # no key of the schema is a bool, and a bool is an int: reject it
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MetafileError(f'{where}: {key!r} must be {kind}, got {value!r}')
    return value


def _number(mapping: dict,
            key: str,
            bounds: Tuple[float, float],
            where: str,
            required: bool = True) -> Optional[float]:
    if key not in mapping and not required:
        return None
    value = _require(mapping, key, (int, float), where)
    if not bounds[0] <= value <= bounds[1]:
        raise MetafileError(f'{where}: {key} = {value} is outside the plausible range '
                            f'{bounds[0]:g}..{bounds[1]:g}')
    return value


def _metrics(metrics: Any, where: str) -> Tuple[float, Optional[float]]:
    if not isinstance(metrics, dict):
        raise MetafileError(f'{where}: Metrics must be a mapping, got {metrics!r}')
    top1 = _number(metrics, 'Top 1', (0.1, 100), where)
    top5 = _number(metrics, 'Top 5', (0.1, 100), where, required=False)
    if top5 is not None and top5 < top1:
        raise MetafileError(f'{where}: Top 5 ({top5}) is below Top 1 ({top1})')
    return top1, top5


def _parse_model(entry: Any, collections: List[str], repo_root: Path, path: Path,
                 index: int) -> MetafileModel:
    where = f'{path}: Models[{index}]'
    name = _require(entry, 'Name', str, where)
    where = f'{path}: model {name!r}'
    unknown = set(entry) - {
        'Name', 'Metadata', 'In Collection', 'Results', 'Torchvision', 'Config', 'Notes'
    }
    if unknown:
        raise MetafileError(f'{where}: unknown keys {sorted(unknown)}')
    collection = _require(entry, 'In Collection', str, where)
    if collection not in collections:
        raise MetafileError(f'{where}: In Collection {collection!r} is not one of the file\'s '
                            f'Collections {collections}')
    config = repo_root / _require(entry, 'Config', str, where)
    if not config.is_file():
        raise MetafileError(f'{where}: Config {entry["Config"]!r} does not exist')
    if config.stem != name:
        raise MetafileError(f'{where}: Name must be the config\'s file name {config.stem!r}')

    metadata = _require(entry, 'Metadata', dict, where)
    published = None
    source = metadata.get('Published By')
    results = entry.get('Results', [])
    if source is None:
        if results or 'Parameters' in metadata or 'FLOPs' in metadata:
            raise MetafileError(f'{where}: Metadata.Published By must say whose Parameters, '
                                f'FLOPs and Results these are ({", ".join(PUBLISHERS)})')
    else:
        if source not in PUBLISHERS:
            raise MetafileError(f'{where}: Published By {source!r} is not one of {PUBLISHERS}')
        published = Figures(
            source=source,
            reference=_require(metadata, 'Source', str, where),
            params=int(_number(metadata, 'Parameters', PARAM_RANGE, where)),
            flops=_number(metadata, 'FLOPs', FLOPS_RANGE, where, required=False))
        if not isinstance(results, list) or len(results) > 1:
            raise MetafileError(f'{where}: Results must be a list of at most one entry')
        for result in results:
            for key, expected in (('Task', 'Image Classification'), ('Dataset', 'ImageNet-1k')):
                if result.get(key) != expected:
                    raise MetafileError(f'{where}: Results {key} must be {expected!r}, got '
                                        f'{result.get(key)!r}')
            published.top1, published.top5 = _metrics(result.get('Metrics'), where)

    torchvision = None
    if 'Torchvision' in entry:
        block, where_tv = entry['Torchvision'], f'{where}: Torchvision'
        top1, top5 = _metrics(_require(block, 'Metrics', dict, where_tv), where_tv)
        excluded = block.get('Excluded From Parameters', [])
        if not isinstance(excluded, list) or not all(isinstance(p, str) for p in excluded):
            raise MetafileError(f'{where_tv}: Excluded From Parameters must be a list of '
                                f'parameter name prefixes, got {excluded!r}')
        torchvision = TorchvisionFigures(
            source='torchvision',
            name=_require(block, 'Name', str, where_tv),
            weights=_require(block, 'Weights', str, where_tv),
            url=_require(block, 'URL', str, where_tv),
            params=int(_number(block, 'Parameters', PARAM_RANGE, where_tv)),
            flops=int(_number(block, 'FLOPs', FLOPS_RANGE, where_tv)),
            top1=top1,
            top5=top5,
            excluded=excluded)
    return MetafileModel(
        name=name,
        config=config,
        collection=collection,
        metafile=path,
        published=published,
        torchvision=torchvision)


def load_metafile(path: Union[str, Path],
                  repo_root: Union[str, Path, None] = None) -> List[MetafileModel]:
    """Parse and validate one metafile.

    Args:
        path: The ``metafile.yml``.
        repo_root: What the models' ``Config`` paths are relative to. Defaults to the parent of
            the ``configs`` folder the file is in.

    Returns:
        list[MetafileModel]: Its models, in file order.

    Raises:
        MetafileError: Naming the file, the model and the bad key or value.
    """
    path = Path(path).resolve()
    repo_root = Path(repo_root) if repo_root is not None else path.parents[2]
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise MetafileError(f'{path}: not valid YAML: {error}') from error
    collections = _require(doc, 'Collections', list, str(path))
    names = [
        _require(c, 'Name', str, f'{path}: Collections[{i}]') for i, c in enumerate(collections)
    ]
    entries = _require(doc, 'Models', list, str(path))
    return [_parse_model(entry, names, repo_root, path, i) for i, entry in enumerate(entries)]


def load_all_metafiles(config_root: Union[str, Path] = 'configs') -> Dict[str, MetafileModel]:
    """Every model of every ``<config_root>/*/metafile.yml``, by name (names are unique)."""
    config_root = Path(config_root).resolve()
    models: Dict[str, MetafileModel] = {}
    for path in sorted(config_root.glob('*/metafile.yml')):
        for model in load_metafile(path, repo_root=config_root.parent):
            if model.name in models:
                raise MetafileError(f'{path}: model {model.name!r} is also in '
                                    f'{models[model.name].metafile}')
            models[model.name] = model
    return models


@functools.lru_cache()
def load_mmpretrain_metafiles() -> Dict[str, Figures]:
    """The figures of every model in the installed mmpretrain's metafiles (it ships them under
    ``mmpretrain/.mim/configs``), by model name: the source of ``Published By: mmpretrain``.
    mmpretrain is located, not imported."""
    spec = importlib.util.find_spec('mmpretrain')
    if spec is None or spec.origin is None:
        raise MetafileError('mmpretrain is not installed: its metafiles are the source of the '
                            '"Published By: mmpretrain" figures')
    root = Path(spec.origin).parent / '.mim' / 'configs'
    models: Dict[str, Figures] = {}
    for path in sorted(root.glob('*/metafile.yml')):
        for entry in yaml.safe_load(path.read_text()).get('Models', []):
            metadata = entry.get('Metadata') or {}
            metrics = next(
                (r.get('Metrics', {})
                 for r in entry.get('Results') or [] if r.get('Task') == 'Image Classification'),
                {})
            models[entry['Name']] = Figures(
                source='mmpretrain',
                reference=f'{path.relative_to(root.parent)}',
                params=metadata.get('Parameters'),
                flops=metadata.get('FLOPs'),
                top1=metrics.get('Top 1 Accuracy'),
                top5=metrics.get('Top 5 Accuracy'))
    return models


def count_published_parameters(module: Any, excluded: List[str] = ()) -> int:
    """Parameters of ``module`` as a publisher counts them: without those whose names start
    with one of ``excluded`` (shared tensors counted once)."""
    params = {
        id(p): p
        for name, p in module.named_parameters()
        if not any(name.startswith(prefix + '.') for prefix in excluded)
    }
    return sum(p.numel() for p in params.values())


def check_parameters(entry: MetafileModel, module: Any) -> List[str]:
    """Compare the built model ``module`` of ``entry`` with its published parameter counts.

    Returns:
        list[str]: One message per figure that disagrees (empty: all agree).
    """
    errors = []
    if entry.torchvision is not None:
        counted = count_published_parameters(module, entry.torchvision.excluded)
        if counted != entry.torchvision.params:
            errors.append(f'{entry.name}: {counted:,} parameters, torchvision publishes '
                          f'{entry.torchvision.params:,}')
    if entry.published is not None:
        excluded = entry.torchvision.excluded if entry.torchvision else []
        counted = count_published_parameters(module, excluded)
        tolerance = PARAM_TOLERANCE[entry.published.source]
        if abs(counted - entry.published.params) > tolerance * entry.published.params:
            errors.append(f'{entry.name}: {counted:,} parameters, {entry.published.source} '
                          f'publishes {entry.published.params:,} (tolerance {tolerance:.1%})')
    return errors
