"""register_all_modules makes zoo the default scope, and says so whenever it switches away from
another scope (the first switch too, where a new 'zoo' instance is created)."""
import warnings

import pytest
from mmengine.registry import DefaultScope

from zoo.utils import register_all_modules


def current_scope() -> str:
    return DefaultScope.get_current_instance().scope_name


@pytest.mark.parametrize('calls', [1, 2], ids=['first-switch', 'zoo-scope-exists'])
def test_switching_from_another_scope_warns(calls):
    for _ in range(calls):
        with DefaultScope.overwrite_default_scope('mmdet'):
            with pytest.warns(
                    UserWarning,
                    match='"mmdet" is not "zoo"; `register_all_modules` '
                    'switches it to "zoo"'):
                register_all_modules()
            assert current_scope() == 'zoo'


def test_zoo_scope_stays_silently():
    register_all_modules()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        register_all_modules()
    assert current_scope() == 'zoo'


def test_init_default_scope_false_keeps_the_current_scope():
    with DefaultScope.overwrite_default_scope('mmdet'):
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            register_all_modules(init_default_scope=False)
        assert current_scope() == 'mmdet'
