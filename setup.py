"""zoo: a plugin-based model zoo for MMEngine, mmpretrain-style classification and mmdet.

The pinned stack (torch, mmcv with compiled ops built from source, mmdet) is installed by
tools/setup_env.sh; ``pip install -e .`` installs zoo itself and states the ranges it needs.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'zoo', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='zoo',
    version=read_version(),
    description='A plugin-based model zoo for MMEngine and mmdet',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['zoo', 'zoo.*']),
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
