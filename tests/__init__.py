"""zoo's test suite: a package, so that ``tests.conftest`` is this one even where a
site-packages ``tests`` exists (model-index, a dependency of mmpretrain, installs one)."""
