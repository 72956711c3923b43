"""zoo's registries: children of MMEngine's root registries, in scope ``zoo``.

Every registry below is a child of the MMEngine root registry of the same kind, so that

* a zoo config (``default_scope='zoo'``) finds zoo components by plain name and MMEngine's
  components (hooks, optimizers, schedulers...) through the parent;
* any other scope -- mmdet's included -- reaches a zoo component as ``type='zoo.X'`` once
  ``custom_imports=dict(imports=['zoo'])`` has created these registries.

``locations`` make the registration lazy: a registry imports the package that defines its
components the first time something is built or looked up through it.

A zoo class registered here refuses an argument it does not take with a ``TypeError`` that
names the class, the argument and every argument it does take, whichever registry builds it
(mmdet's builds ``type='zoo.X'`` with its own build function, so the check is on the class).
"""
import functools
import inspect
from typing import List

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'TASK_UTILS', 'FUNCTIONS',
    'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS', 'BATCH_AUGMENTS'
]


def accepted_arguments(cls: type) -> List[str]:
    """The keyword arguments ``cls(...)`` takes: its ``__init__``'s, then those of the parents
    its ``**kwargs`` are passed on to."""
    names: List[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names += [
            p.name for p in params
            if p.name != 'self' and p.name not in names and p.kind not in (p.VAR_POSITIONAL,
                                                                           p.VAR_KEYWORD)
        ]
        if all(p.kind != p.VAR_KEYWORD for p in params):
            break
    return names


def _refuse_unknown_arguments(cls: type) -> None:
    """Wrap ``cls.__init__`` (when it takes no ``**kwargs``) so that an argument it does not
    take raises an error naming the class, the argument and what the class supports, instead
    of Python's bare "unexpected keyword argument"."""
    init = cls.__dict__.get('__init__')
    if init is None or hasattr(init, '__wrapped__'):
        return
    parameters = inspect.signature(init).parameters
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        return  # the parent it passes them on to checks them

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        unknown = [key for key in kwargs if key not in parameters]
        if unknown:
            name = type(self).__name__
            raise TypeError(f'{name} (zoo) does not support the argument(s) {unknown}; '
                            f'zoo\'s {name} takes {accepted_arguments(type(self))}')
        init(self, *args, **kwargs)

    cls.__init__ = __init__


class ZooRegistry(Registry):
    """A registry whose zoo classes refuse unknown arguments by name (see the module doc)."""

    def _register_module(self, module, module_name=None, force: bool = False) -> None:
        super()._register_module(module, module_name, force)
        if inspect.isclass(module) and module.__module__.split('.')[0] == 'zoo':
            _refuse_unknown_arguments(module)


def _child(name: str, parent: Registry, location: str = None) -> Registry:
    return ZooRegistry(name, parent=parent, scope='zoo', locations=[location] if location else [])


# Training loop
RUNNERS = _child('runner', MMENGINE_RUNNERS, 'zoo.engine')
RUNNER_CONSTRUCTORS = _child('runner constructor', MMENGINE_RUNNER_CONSTRUCTORS, 'zoo.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'zoo.engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'zoo.engine')
LOG_PROCESSORS = _child('log processor', MMENGINE_LOG_PROCESSORS, 'zoo.engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'zoo.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'zoo.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, 'zoo.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, 'zoo.engine')

# Data
DATASETS = _child('dataset', MMENGINE_DATASETS, 'zoo.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'zoo.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'zoo.datasets')

# Models
MODELS = _child('model', MMENGINE_MODELS, 'zoo.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'zoo.models')
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS, 'zoo.models')
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'zoo.models')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'zoo.models')
# Mixup, CutMix...: what a data preprocessor applies to a whole batch (mmpretrain's
# BATCH_AUGMENTS; MMEngine has no such root registry).
BATCH_AUGMENTS = ZooRegistry('batch augment', scope='zoo', locations=['zoo.models'])

# Evaluation and visualisation
METRICS = _child('metric', MMENGINE_METRICS, 'zoo.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'zoo.evaluation')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'zoo.visualization')
# zoo adds no vis backends: MMEngine's (Local, Tensorboard, ...) are reached through the parent.
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'zoo.visualization')
