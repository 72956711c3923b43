"""The base class's part of every family: ``parse_arch`` (one check of an architecture
argument) and ``_set_stages`` (without it a family has no forward, outputs or freezing)."""
import inspect

import pytest
from torch import nn

from zoo.models.backbones import BaseBackbone, VisionTransformer


class Table(BaseBackbone):
    """A family of two rows (one with an alias) that takes custom rows too, as ViT's."""
    arch_settings = {**dict.fromkeys(['s', 'small'], dict(width=4)), 'm': dict(width=8)}
    arch_keys = ('width', )

    def __init__(self, arch='s'):
        super().__init__()
        self.row = self.parse_arch(arch)
        width = self.row['width'] if isinstance(self.row, dict) else self.row[1]
        self._set_stages(dict(layer1=nn.Conv2d(3, width, 1)), stage_channels=[width])


class ByDepth(Table):
    """Rows keyed by depth, of the family's own tuples, and no custom rows, as ResNet's."""
    arch_settings = {18: ('basic', 4), 50: ('bottleneck', 16)}
    arch_keys = ()


def test_rows_by_name_alias_and_case():
    assert Table('small').row == Table('S').row == dict(width=4)
    assert Table('m').out_channels == (8, )


def test_a_custom_row_needs_exactly_the_arch_keys():
    assert Table(dict(width=6)).out_channels == (6, )
    with pytest.raises(
            ValueError,
            match=r"Table: arch \{'depth': 6\} is neither one of "
            r"\['s', 'small', 'm'\] nor a dict with exactly the "
            r"keys \['width'\]"):
        Table(dict(depth=6))


def test_an_unknown_row_names_the_family_and_the_rows():
    with pytest.raises(
            ValueError,
            match=r"Table: arch 'xl' is not one of \['s', 'small', 'm'\] "
            r"\(or a dict with keys \['width'\]\)"):
        Table('xl')


def test_rows_keyed_by_depth_take_no_custom_row():
    assert ByDepth(50).row == ('bottleneck', 16)
    with pytest.raises(ValueError, match=r'ByDepth: arch 34 is not one of \[18, 50\]$'):
        ByDepth(34)
    with pytest.raises(ValueError, match=r"ByDepth: arch True is not one of"):
        ByDepth(True)  # a bool is an int, but no depth
    with pytest.raises(ValueError, match=r"ByDepth: arch must be one of \[18, 50\], got"):
        ByDepth(dict(width=4))


def test_a_family_that_never_sets_its_stages_fails_at_construction():

    class Forgetful(BaseBackbone):

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 1)

    with pytest.raises(TypeError, match=r'Forgetful.__init__ never called self._set_stages'):
        Forgetful()


def test_a_subclass_may_set_the_stages_after_its_parents_init():

    class Parent(BaseBackbone):

        def __init__(self):
            super().__init__()  # leaves the stages to its subclasses

    class Child(Parent):

        def __init__(self):
            super().__init__()
            self._set_stages(dict(layer1=nn.Conv2d(3, 8, 1)), stage_channels=[8])

    assert Child().out_channels == (8, )
    with pytest.raises(TypeError, match='Parent.__init__ never called'):
        Parent()


def test_a_family_keeps_its_signature():
    assert list(inspect.signature(Table).parameters) == ['arch']
    assert inspect.signature(VisionTransformer).parameters['arch'].default == 'base'
