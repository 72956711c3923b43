"""Config mistakes are named when the config is loaded, before anything is built or trained."""
import argparse

import pytest

from tests.conftest import REPO_ROOT
from zoo.utils.cli import add_common_arguments, load_config

DIGITS = str(REPO_ROOT / 'configs' / 'lenet' / 'lenet5_1xb64_digits.py')


def load(*cfg_options: str):
    argv = [DIGITS, '--work-dir', 'unused']
    if cfg_options:
        argv += ['--cfg-options', *cfg_options]
    parser = argparse.ArgumentParser()  # what tools/train.py and tools/test.py share
    parser.add_argument('config')
    add_common_arguments(parser)
    return load_config(parser.parse_args(argv))


def test_valid_overrides_load():
    cfg = load('train_cfg.max_epochs=3', 'default_hooks.checkpoint.interval=2',
               'load_from_strict=False', 'auto_scale_lr.base_batch_size=64')
    assert cfg.train_cfg.max_epochs == 3 and cfg.default_hooks.checkpoint.interval == 2


def test_unknown_top_level_key_names_the_closest():
    with pytest.raises(
            KeyError,
            match="--cfg-options train_cgf.max_epochs: the config has no "
            "key 'train_cgf' .*did you mean 'train_cfg'"):
        load('train_cgf.max_epochs=1')


def test_text_where_a_number_belongs_names_the_key():
    with pytest.raises(
            TypeError,
            match=r"train_cfg.max_epochs=ten: train_cfg.max_epochs must "
            r"be an int \(the config has 50\), got the text 'ten'"):
        load('train_cfg.max_epochs=ten')


def test_misspelled_hook_argument_fails_at_load_not_at_the_first_save():
    with pytest.raises(
            TypeError,
            match="default_hooks.checkpoint: SafeCheckpointHook has no "
            "argument 'intervall'; did you mean 'interval'"):
        load('default_hooks.checkpoint.intervall=1')
    with pytest.raises(
            TypeError, match="default_hooks.logger: LoggerHook has no argument "
            "'intervl'"):
        load('default_hooks.logger.intervl=1')
