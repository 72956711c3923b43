import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every zoo package that registers components, and make ``zoo`` the default scope.

    Args:
        init_default_scope: Whether to set ``zoo`` as the current default scope. When a scope
            is already current and is not ``zoo``, a new ``zoo`` scope instance is created under
            a unique name (as mmpretrain does) so that nested runners do not clash.
    """
    import zoo.datasets  # noqa: F401,F811
    import zoo.engine  # noqa: F401,F811
    import zoo.evaluation  # noqa: F401,F811
    import zoo.models  # noqa: F401,F811
    import zoo.visualization  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    never_created = current is None or not DefaultScope.check_instance_created('zoo')
    if never_created:
        DefaultScope.get_instance('zoo', scope_name='zoo')
        return
    if current.scope_name != 'zoo':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "zoo"; '
                      '`register_all_modules` forces it to "zoo".')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'zoo-{stamp}', scope_name='zoo')
