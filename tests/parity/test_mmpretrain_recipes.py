"""mmpretrain 1.2.0's recipe configs for zoo's families run on zoo with ``default_scope='zoo'``
(issue 9), their model equal to mmpretrain's. The helper, the data sets it writes and what it
changes besides the scope (paths, loader sizes, one epoch) are in
:mod:`tests.parity.mmpretrain_sweep`.

The full sweep (slow: hours on a shared 2-core machine)::

    PYTHONPATH=$PWD python -m pytest -q -m slow tests/parity/test_mmpretrain_recipes.py -s
    PYTHONPATH=$PWD python -m tests.parity.mmpretrain_sweep        # the same, as a table
"""
import pytest

from tests.parity import mmpretrain_sweep as sweep

pytest.importorskip('mmpretrain')

# The cheapest recipe runs in the default run (CIFAR's pickled batches, RandomCrop with padding,
# ResNet_CIFAR); one a group of recipe pieces runs with -m slow: ImageNet's layout
# (train/<wnid>/ + meta/*.txt, RandomResizedCrop, ResizeEdge) with LabelSmoothLoss, warm-up and
# cosine schedules.
QUICK = ('resnet18_8xb16_cifar10', )
REPRESENTATIVE = ('resnet50_8xb32-lbs_in1k', 'resnet50_32xb64-warmup-coslr_in1k')


def _report(result: dict) -> str:
    return (f"{result['name']}: ran={result['ran']} model_equal={result['model_equal']} "
            f"stage={result['stage']}\n"
            f"{result.get('error') or result.get('model_error')}\n{result.get('traceback', '')}")


def _check_recipe(name: str) -> None:
    result = sweep.run_recipe(sweep.config_path(name))
    print(sweep.summarize([result]))
    assert sweep.row_passes(result), _report(result)
    assert result['keys']['equal'] == result['keys']['peer'] == result['keys']['zoo']
    assert result['logits_max_abs_diff'] <= 1e-5


@pytest.mark.parametrize('name', QUICK)
def test_recipe_trains_on_zoo_and_equals_mmpretrain(name):
    _check_recipe(name)


@pytest.mark.slow
@pytest.mark.parametrize('name', REPRESENTATIVE)
def test_representative_recipe(name):
    _check_recipe(name)


def test_every_family_has_recipes_and_exclusions_are_real(tmp_path):
    names = [sweep.config_name(p) for p in sweep.leaf_configs()]
    assert len(names) >= 75, names
    for family in ('lenet', 'mobilenet', 'resnet', 'resnext', 'seresnet', 'swin', 'vgg', 'vit',
                   'wide-resnet'):
        assert any(n.startswith(family) for n in names), family
    assert set(sweep.EXCLUDED) <= set(names)
    # an exclusion is a config that mmpretrain's own Runner cannot be built from
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    for name in sweep.EXCLUDED:
        cfg = Config.fromfile(sweep.config_path(name))
        cfg.work_dir = str(tmp_path / name)
        with pytest.raises((KeyError, ValueError), match='BatchCutMix|should be either all None'):
            Runner.from_cfg(cfg)


@pytest.mark.slow
def test_full_sweep():
    """Every recipe, in two worker processes: prints ``N of M`` for running on zoo and for equal
    to mmpretrain's model. Every row passes but those that need a GPU to train (their model is
    still compared)."""
    results = sweep.sweep_configs(sweep.leaf_configs(), jobs=2)
    print(sweep.summarize(results))
    ours = [
        r['name'] for r in results if r['name'] not in sweep.EXCLUDED
        and r['name'] not in sweep.NEEDS_GPU and not sweep.row_passes(r)
    ]
    gpu_rows = [r for r in results if r['name'] in sweep.NEEDS_GPU]
    assert not ours, f'failing rows: {ours}'
    assert all(r['model_equal'] for r in gpu_rows), gpu_rows
