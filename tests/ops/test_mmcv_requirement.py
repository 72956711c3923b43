"""``import zoo`` refuses an mmcv that zoo.mmcv_ext cannot serve, and says what to install."""
from importlib.metadata import PackageNotFoundError

import pytest

import zoo


def installed(versions):

    def installed_version(name):
        if name not in versions:
            raise PackageNotFoundError(name)
        return versions[name]

    return installed_version


@pytest.mark.parametrize('mmcv', [{'mmcv-lite': '2.1.0'}, {'mmcv': '2.1.0'}, {'mmcv': '2.1.1'}])
def test_mmcv_lite_2_1_0_or_mmcv_2_1_with_ops_is_accepted(monkeypatch, mmcv):
    monkeypatch.setattr(zoo, 'installed_version', installed({'mmengine': '0.10.7', **mmcv}))
    zoo._check_dependencies()


@pytest.mark.parametrize('mmcv, message', [
    ({
        'mmcv-lite': '2.2.0'
    }, 'mmcv-lite==2.2.0 is installed, but zoo needs mmcv-lite==2.1.0'),
    ({
        'mmcv-lite': '2.0.1'
    }, 'mmcv-lite==2.0.1 is installed, but zoo needs mmcv-lite==2.1.0'),
    ({
        'mmcv': '2.2.0'
    }, 'mmcv==2.2.0 is installed, but zoo needs mmcv>=2.1.0, <2.2.0'),
    ({
        'mmcv': '2.1.0',
        'mmcv-lite': '2.1.0'
    }, 'both mmcv==2.1.0 and mmcv-lite==2.1.0 are '
     'installed and share the mmcv/ folder: pip uninstall -y mmcv mmcv-lite'),
    ({}, 'mmcv is not installed'),
])
def test_other_mmcv_is_refused_with_what_to_install(monkeypatch, mmcv, message):
    monkeypatch.setattr(zoo, 'installed_version', installed({'mmengine': '0.10.7', **mmcv}))
    with pytest.raises(ImportError) as error:
        zoo._check_dependencies()
    assert message in str(error.value)
    assert 'pip install mmcv-lite==2.1.0' in str(error.value)
    assert 'ZOO_MMCV=compiled bash tools/setup_env.sh' in str(error.value)
