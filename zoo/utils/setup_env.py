import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every zoo package that registers components, and make ``zoo`` the default scope.

    Args:
        init_default_scope: Whether to make ``zoo`` the current default scope. Where another
            scope (``mmdet``, say) is current, it is switched to ``zoo`` with a warning that
            says so, whether or not a ``zoo`` scope existed before (mmpretrain warns in the
            second case only); a new ``zoo`` scope instance gets a unique name so that nested
            runners do not clash. Pass ``False`` to keep the current scope.
    """
    import zoo.datasets  # noqa: F401,F811
    import zoo.engine  # noqa: F401,F811
    import zoo.evaluation  # noqa: F401,F811
    import zoo.models  # noqa: F401,F811
    import zoo.visualization  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is not None and current.scope_name == 'zoo':
        return
    if current is not None:
        warnings.warn(f'The current default scope "{current.scope_name}" is not "zoo"; '
                      '`register_all_modules` switches it to "zoo". Pass '
                      '`init_default_scope=False` to keep it.')
    name = 'zoo'
    if DefaultScope.check_instance_created(name):  # an older zoo scope, no longer current
        name = f'zoo-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S%f")}'
    DefaultScope.get_instance(name, scope_name='zoo')
