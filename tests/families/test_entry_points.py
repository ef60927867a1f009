"""Families registered by an installed package through the entry point group
``modelcollapse.families``: a real distribution (a ``.dist-info`` folder on ``sys.path``), found
by ``importlib.metadata`` exactly as for a ``pip install``ed package."""

from __future__ import annotations

import sys
import textwrap

import pytest

from modelcollapse import families
from modelcollapse.families import ENTRY_POINT_GROUP, get_family
from modelcollapse.theory import derive


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A package 'mcplugin' whose entry points name a Family object, a function returning one,
    a family file, and a broken object."""
    pkg = tmp_path / "mcplugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from modelcollapse.families import from_moment_map

        LAPLACE = from_moment_map("ep-laplace-scale", parameter="b", domain="positive",
                                  kind="scale", law="b * Gamma(n, 1) / n")

        def make():
            return from_moment_map("ep-made", parameter="theta", mean="theta",
                                   variance="theta**2/(n*(n + 2))", domain="positive",
                                   kind="scale")

        FILE = __file__.replace("__init__.py", "umax.toml")
        BROKEN = 42
    '''))
    (pkg / "umax.toml").write_text('name = "ep-file"\nparameter = "theta"\ndomain = "positive"\n'
                                   'kind = "scale"\nlaw = "theta * (n + 1)/n * Beta(n, 1)"\n')
    info = tmp_path / "mcplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mcplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nep-laplace-scale = mcplugin:LAPLACE\nep-made = mcplugin:make\n"
        "ep-file = mcplugin:FILE\nep-broken = mcplugin:BROKEN\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # the families an entry point registers must not outlive the test
    monkeypatch.setattr(families, "_REGISTRY", dict(families._REGISTRY))
    yield
    sys.modules.pop("mcplugin", None)


def test_an_entry_point_object_is_found_by_name(installed):
    fam = get_family("ep-laplace-scale")
    assert fam.name == "ep-laplace-scale"
    # b Gamma(n, 1)/n: unbiased, variance b^2/n, so p* = 1 and the exact law gives log-moments
    d = derive("ep-laplace-scale", T=10)
    assert d.values["required_growth_exponent"] == 1.0
    assert d.values["log_mean_T"] is not None


def test_an_entry_point_function_and_file(installed):
    made = get_family("ep-made")
    assert made.name == "ep-made"
    assert derive(made, T=5).values["required_growth_exponent"] == 0.5  # noise ~ n^-2
    assert get_family("ep-file").estimator().exact


def test_a_broken_entry_point_is_one_line(installed):
    with pytest.raises(ValueError, match=r"^entry point 'mcplugin:BROKEN' for family "
                                         r"'ep-broken' gave int, not a Family$"):
        get_family("ep-broken")


def test_unknown_names_still_list_the_built_ins(installed):
    with pytest.raises(ValueError, match=r"unknown family 'nope'; allowed: gaussian-mean"):
        get_family("nope")


def test_registrations_do_not_leak():
    assert not any(name.startswith("ep-") for name in families.family_names())
