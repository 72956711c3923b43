from typing import Optional, Tuple

from mmengine.hooks import Hook

from zoo.datasets.base_cls_dataset import BaseClsDataset
from zoo.registry import HOOKS


@HOOKS.register_module()
class ClassCheckHook(Hook):
    """Evaluate only on data whose label ``i`` means the model's class ``i``.

    The model's classes are the training set's, or, when no training runs (``tools/test.py``),
    those in the loaded checkpoint's ``dataset_meta``. Before validation and testing the data
    set is checked against them with :meth:`BaseClsDataset.align_classes`: other classes are
    an error naming the missing and extra ones, unless the data set's classes were given
    explicitly, in which case its labels are mapped by name. A val folder that lacks one class
    folder would otherwise shift every label after it, silently.

    ``default_runtime.py`` adds it as the ``class_check`` default hook.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._model_classes: Optional[Tuple[Tuple[str, ...], str]] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        classes = ((checkpoint.get('meta') or {}).get('dataset_meta') or {}).get('classes')
        if classes and self._model_classes is None:
            source = runner.cfg.get('load_from') or 'the loaded checkpoint'
            self._model_classes = (tuple(classes), f'dataset_meta of checkpoint {source}')

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        if isinstance(dataset, BaseClsDataset):
            self._model_classes = (dataset.CLASSES, 'the classes of its training set')
        if runner.val_loop is not None:  # built already: fail now, not after an epoch
            self._check(runner.val_loop.dataloader.dataset)

    def before_val(self, runner) -> None:
        self._check(runner.val_loop.dataloader.dataset)

    def before_test(self, runner) -> None:
        self._check(runner.test_loop.dataloader.dataset)

    def _check(self, dataset) -> None:
        if self._model_classes is not None and isinstance(dataset, BaseClsDataset):
            dataset.align_classes(*self._model_classes)
