"""zoo: a plugin-based model zoo for MMEngine, mmpretrain-style classification and mmdet.

The pinned stack (torch, mmcv with compiled ops built from source, mmdet) is installed by
tools/setup_env.sh; ``pip install -e .`` installs zoo itself and states the ranges it needs.
"""
import os.path as osp

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# zoo-config-scope.pth runs _zoo_config_scope at start-up: `zoo::` config paths resolve in any
# program (mmdet's tools too) without importing zoo. A .pth only works at site-packages' top.
CONFIG_SCOPE_PTH = 'zoo-config-scope.pth'


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'zoo', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


class BuildPyWithPth(build_py):
    """build_py that also puts the start-up .pth file at the top of the wheel."""

    def run(self):
        super().run()
        self.copy_file(CONFIG_SCOPE_PTH, osp.join(self.build_lib, CONFIG_SCOPE_PTH))


setup(
    name='zoo',
    version=read_version(),
    description='A plugin-based model zoo for MMEngine and mmdet',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['zoo', 'zoo.*']),
    py_modules=['_zoo_config_scope'],
    # zoo/.mim links to configs/, tools/ and model-index.yml (as mmpretrain's and mmdet's .mim):
    # the wheel holds copies, so get_model and `_base_ = 'zoo::...'` work outside the checkout.
    package_data={'zoo': ['.mim/model-index.yml', '.mim/configs/**/*.py',
                          '.mim/configs/**/*.yml', '.mim/configs/**/*.md', '.mim/tools/**/*.py',
                          '.mim/tools/**/*.sh']},
    cmdclass={'build_py': BuildPyWithPth},
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'mmengine>=0.10.7,<1.0.0',
        'mmcv>=2.1.0,<2.2.0',
        'numpy',
    ],
    extras_require={
        'det': ['mmdet==3.3.0', 'pycocotools'],
        'tests': ['pytest', 'scikit-learn'],
    },
    license='Apache License 2.0',
    zip_safe=False,
)
