"""zoo: a plugin-based model zoo for MMEngine, mmpretrain-style classification and mmdet.

The pinned stack (torch, mmcv-lite, mmdet) is installed by tools/setup_env.sh;
``pip install -e .`` installs zoo itself and states the ranges it needs. Besides the ``zoo``
package it installs two start-up hooks (see ``PTH_FILES``): ``zoo_mmcv_ext_hook``, so that
``import mmcv._ext`` finds zoo.mmcv_ext where mmcv has no compiled one, and ``zoo_config_scope``,
so that ``zoo::`` config paths resolve; and the configs, in ``zoo/.mim``.
"""
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

# Start-up hooks, run by site at every interpreter start (a .pth works only at site-packages'
# top): zoo-mmcv-ext.pth serves mmcv._ext from torchvision where mmcv has no compiled ops;
# zoo-config-scope.pth makes `zoo::` config paths resolve in any program (mmdet's tools too)
# without importing zoo.
PTH_FILES = ('zoo-mmcv-ext.pth', 'zoo-config-scope.pth')


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'zoo', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


class BuildPyWithPth(build_py):
    """Puts the .pth files at the top of the wheel, which pip installs into site-packages."""

    def run(self):
        super().run()
        if not self.editable_mode:
            for pth in PTH_FILES:
                self.copy_file(pth, osp.join(self.build_lib, pth))


class EditableWheelWithPth(editable_wheel):
    """The same for ``pip install -e``: its wheel holds only links to the checkout otherwise."""

    def _run_build_commands(self, dist_name, unpacked_wheel, build_lib, tmp_dir):
        outputs = super()._run_build_commands(dist_name, unpacked_wheel, build_lib, tmp_dir)
        for pth in PTH_FILES:
            shutil.copy(pth, unpacked_wheel)
        return outputs


setup(
    name='zoo',
    version=read_version(),
    description='A plugin-based model zoo for MMEngine and mmdet',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['zoo', 'zoo.*']),
    # Named zoo_*: 'zoo' must come first in the sorted top_level.txt, where MMEngine's
    # get_installed_path looks for an editable install's package (and `zoo::` configs).
    py_modules=['zoo_mmcv_ext_hook', 'zoo_config_scope'],
    # zoo/.mim links to configs/, tools/ and model-index.yml (as mmpretrain's and mmdet's .mim):
    # the wheel holds copies, so get_model and `_base_ = 'zoo::...'` work outside the checkout.
    package_data={'zoo': ['.mim/model-index.yml', '.mim/configs/**/*.py',
                          '.mim/configs/**/*.yml', '.mim/configs/**/*.md', '.mim/tools/**/*.py',
                          '.mim/tools/**/*.sh']},
    cmdclass=dict(build_py=BuildPyWithPth, editable_wheel=EditableWheelWithPth),
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'mmengine>=0.10.7,<1.0.0',
        # mmcv-lite 2.1.0 (mmcv without compiled ops) or mmcv 2.1.x with ops: both provide
        # the `mmcv` package and neither can be named as an alternative here; zoo checks at import
        'numpy',
    ],
    extras_require={
        'det': ['mmdet==3.3.0', 'pycocotools'],
        'tests': ['pytest', 'scikit-learn'],
    },
    license='Apache License 2.0',
    zip_safe=False,
)
