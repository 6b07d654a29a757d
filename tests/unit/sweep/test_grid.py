"""The grid's syntax: ``kd_way=others`` stands for every registered method without a group of its own, at its
defaults, where it stands; it takes no values, comes once, and no method may be named ``others``."""
import pytest

from ats_ms.losses import KD_WAYS, registry
from ats_ms.sweep.grid import grid_groups


def test_others_stands_for_every_method_without_a_group_of_its_own():
    groups = grid_groups({"grid": ("kd_way=ATS tp_tau=4 t_tau=2", "kd_way=OTHERS", "kd_way=TS t_tau=4")})
    assert groups[0] == ("ATS", {"tp_tau": (4.0,), "t_tau": (2.0,)}) and groups[-1] == ("TS", {"t_tau": (4.0,)})
    assert [kd_way for kd_way, _ in groups[1:-1]] == [k for k in KD_WAYS if k not in ("ATS", "TS")]
    assert all(values == {} for _, values in groups[1:-1])


@pytest.mark.parametrize("grid, expected", [
    (("kd_way=others t_tau=2",), "kd_way=others takes every other method at its defaults; expected no values"),
    (("kd_way=others", "kd_way=others"), "kd_way=others twice; expected it once"),
])
def test_others_is_refused_with_values_or_twice(grid, expected):
    with pytest.raises(ValueError, match=expected):
        grid_groups({"grid": grid})


def test_no_method_may_be_named_others():
    method = registry.Method("Others", "a method", (), "m:f", "m:g")
    with pytest.raises(ValueError, match="kd_way Others is a reserved word"):
        registry.register(method)
    assert "Others" not in registry.names()
