from importlib.metadata import PackageNotFoundError

import pytest

import zoo


def test_version():
    assert zoo.__version__ == '0.1.0'


def fake_versions(versions):

    def installed_version(name):
        if name not in versions:
            raise PackageNotFoundError(name)
        return versions[name]

    return installed_version


def test_installed_stack_passes_the_check():
    zoo._check_dependencies()  # the real metadata of this environment


@pytest.mark.parametrize('versions, message', [
    ({
        'mmengine': '0.9.1',
        'mmcv': '2.1.0'
    }, 'mmengine==0.9.1 is installed, but zoo needs mmengine>=0.10.7, <1.0.0'),
    ({
        'mmengine': '0.10.7',
        'mmcv': '2.2.0'
    }, 'mmcv==2.2.0 is installed, but zoo needs mmcv>=2.1.0, <2.2.0'),
    ({
        'mmengine': '0.10.7'
    }, 'mmcv is not installed'),
])
def test_wrong_stack_is_named(monkeypatch, versions, message):
    monkeypatch.setattr(zoo, 'installed_version', fake_versions(versions))
    with pytest.raises(ImportError, match=message.replace('.', r'\.')):
        zoo._check_dependencies()


def test_mmcv_lite_is_enough(monkeypatch):
    monkeypatch.setattr(zoo, 'installed_version',
                        fake_versions({
                            'mmengine': '0.10.7',
                            'mmcv-lite': '2.1.0'
                        }))
    zoo._check_dependencies()
