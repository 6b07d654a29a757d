"""The method registry and what derives from it: create_loss against the numpy twins, the flag rows, pack keys and
record fields, the per-method rules of make_config, the --grid cells and their names, the check's finite
differences, RunConfig copies, and resume files written before a flag existed."""
import copy
import json
import os
import pickle

import numpy as np
import pytest

import ats_ms
from ats_ms import reference as ref
from ats_ms.losses import KD_WAYS, catalogue, registry
from ats_ms.sweep.cells import make_cells
from ats_ms.verify.losses import fd_entries, fd_gradient

from conftest import TINY_KW

ms = pytest.importorskip("mindspore")


def _inputs(n=6, c=7, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(scale=3, size=(n, c)), rng.normal(scale=3, size=(n, c)),
            rng.integers(0, c, size=n).astype(np.int32))


@pytest.mark.parametrize("kd_way", KD_WAYS)
def test_create_loss_equals_the_twin_for_every_method(ms_mode, kd_way):
    s, z, y = _inputs()
    method = registry.get(kd_way)
    case = {h.name: (h.check_values or (h.default,))[-1] for h in method.hyper}
    loss = ats_ms.create_loss(kd_way, **case)
    loss.set_epoch(3)  # a method that uses the epoch gets it from the Cell, its twin as the keyword ``epoch``
    got = float(loss(ms.Tensor(s.astype(np.float32)), ms.Tensor(z.astype(np.float32)), ms.Tensor(y)).asnumpy())
    want = method.twin_fn()(s, z, y, *case.values(), **method.epoch_keywords(3))
    assert got == pytest.approx(want, rel=1e-5)


def test_create_loss_rules():
    assert ats_ms.create_loss("ats").hyper == registry.get("ATS").defaults()  # unset: the method's defaults
    with pytest.raises(ValueError, match="lamb not used by kd_way none; expected none of them"):
        ats_ms.create_loss("none", lamb=0.3)
    with pytest.raises(ValueError, match="tp_tau not used by kd_way ATS|dkd_beta not used by kd_way ATS"):
        ats_ms.create_loss("ATS", dkd_beta=2.0)
    with pytest.raises(ValueError, match="expected one of ATS, TS, none"):
        ats_ms.create_loss("KDX")
    with pytest.raises(ValueError, match="TS uses one value for tp_tau and t_tau"):
        ats_ms.create_loss("TS", t_tau=2.0, tp_tau=3.0)
    assert ats_ms.create_loss("TS", t_tau=2.0, tp_tau=2.0).hyper["t_tau"] == 2.0  # the demo's TS command lines
    with pytest.raises(ValueError, match="lamb=2.0 is invalid"):
        ats_ms.create_loss("ATS", lamb=2.0)


def test_distill_loss_keeps_working_through_the_registry(ms_mode):
    s, z, y = (ms.Tensor(a.astype(np.float32)) if a.dtype != np.int32 else ms.Tensor(a) for a in _inputs())
    demo = dict(tp_tau=5.0, t_tau=2.0, s_tau=2.0, lamb=0.3)
    for kd_way in ("ATS", "TS", "none", "KD"):  # ATS, TS and none accept (and ignore) every demo argument
        own = {k: v for k, v in demo.items() if k in registry.get(kd_way).hyper_names}
        old = ats_ms.DistillLoss(kd_way, **(own if kd_way == "KD" else demo))
        assert float(old(s, z, y).asnumpy()) == float(ats_ms.create_loss(kd_way, **own)(s, z, y).asnumpy())
    assert (old.t_tau, old.lamb) == (2.0, None) and ats_ms.DistillLoss("TS", t_tau=2.0).tp_tau == 2.0
    with pytest.raises(ValueError, match="lamb not used by kd_way KD; expected only its hyper-parameters: t_tau"):
        ats_ms.DistillLoss("KD", lamb=0.3)


def test_none_ignores_every_hyper_parameter_and_the_teacher():
    """(What derives from the registry, for a user's method too: tests/unit/plugins/test_extension.py.)"""
    assert registry.ignored_flags("none") == tuple(sorted(set(registry.hyper_parameters()) | {"t_net_name"}))


def test_a_method_is_registered_once_and_a_shared_name_has_one_definition():
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(registry.get("TS"))
    clash = registry.Method("X", "x", (registry.HyperParameter("t_tau", float, 9.0, catalogue.T_TAU.validate, "x"),),
                            "m:f", "m:f")
    with pytest.raises(ValueError, match="one definition per name"):
        registry.register(clash)
    assert "X" not in registry.names()


def test_finite_differences_of_the_twin_match_the_analytic_gradient():
    s, z, y = _inputs(4, 5)
    entries = fd_entries(s.shape, y)
    assert len(entries) == 20
    args = (3.0, 2.0, 1.5, 0.4)
    got = fd_gradient(ref.distill_loss, s, z, y, args, entries)
    np.testing.assert_allclose(got, ref.distill_loss_grad(s, z, y, *args), rtol=1e-6, atol=1e-9)
    sampled = fd_entries((8, 1000), np.arange(8))
    assert len(sampled) == 64 and all((i, i) in sampled for i in range(8))  # every label entry checked


def test_make_config_applies_each_methods_rules(digits_teacher):
    _, teacher, _ = digits_teacher
    ats = ats_ms.make_config("distill", t_ckpt=teacher, net_name="ResNet8", tp_tau=5, **TINY_KW)
    assert (ats.kd_way, ats.tp_tau, ats.t_tau, ats.s_tau, ats.lamb) == ("ATS", 5.0, 3.0, 1.0, 0.5)
    assert ats.needs_teacher and ats.trains
    none = ats.replace(kd_way="none")  # the old method's given values do not carry over
    assert (none.tp_tau, none.lamb, none.needs_teacher) == (None, None, False)
    ts = ats.replace(kd_way="TS", t_tau=2)
    assert (ts.tp_tau, ts.t_tau) == (2.0, 2.0)  # TS reads tp_tau as t_tau
    with pytest.raises(ValueError, match="lamb not used by kd_way none"):
        ats_ms.make_config("distill", kd_way="none", lamb=0.2, **TINY_KW)


def test_run_config_can_be_copied_deep_copied_and_pickled(tmp_path):
    config = ats_ms.make_config("classify", lr=0.2, ckpt_dir=str(tmp_path))
    for other in (copy.copy(config), copy.deepcopy(config), pickle.loads(pickle.dumps(config))):
        assert other == config and other.to_dict() == config.to_dict() and other.sources == config.sources
        assert other.trains and not other.needs_teacher
        assert other.replace(lr=0.3).lr == 0.3 and other.lr == 0.2


def test_grid_cells_are_named_by_what_differs():
    groups = [("ATS", {"tp_tau": (3.0, 4.0), "t_tau": (2.0,)}), ("TS", {"t_tau": (2.0, 4.0)}), ("none", {})]
    names = [c.name for c in make_cells(groups, {"lamb": 0.7}, (0,))]  # a sweep-wide value other than the default
    assert names == ["sweep-ATS-tp3-t2-lamb0.7-seed0", "sweep-ATS-tp4-t2-lamb0.7-seed0", "sweep-TS-t2-lamb0.7-seed0",
                     "sweep-TS-t4-lamb0.7-seed0", "sweep-none-seed0"]
    cells = make_cells(groups, {"lamb": 0.7}, (0, 1))
    assert cells[0].settings == {"tp_tau": 3.0, "t_tau": 2.0, "s_tau": 1.0, "lamb": 0.7,  # defaults < flags < grid
                                 "logit_std": False}
    assert [c.name for c in make_cells([("ATS", {"lamb": (0.2, 0.8)})], {}, (0,))] == \
        ["sweep-ATS-lamb0.2-seed0", "sweep-ATS-lamb0.8-seed0"]
    assert make_cells([("KD", {})], {"kd_weight": 0.5}, (0,))[0].name == "sweep-KD-kd_weight0.5-seed0"
    compared = [("ATS", {"tp_tau": (4.0,), "t_tau": (2.0,)}), ("TS", {"t_tau": (4.0,)}), ("KD", {})]
    assert [c.name for c in make_cells(compared, {}, (0,))][:2] == ["sweep-ATS-tp4-t2-seed0", "sweep-TS-t4-seed0"]
    assert make_cells(compared, {}, (0,), "earlier")[0].name == "sweep-ATS-t2-seed0"  # what it was named before
    classic = make_cells([("ATS", {"tp_tau": (2.0,), "t_tau": (1.0,)})], {}, (0,), "classic")
    assert classic[0].name == "sweep-tp2-t1-seed0"  # existing sweep folders resume and report as before
    with pytest.raises(ValueError, match="holds the cell sweep-ATS-tp3-seed0 twice"):
        make_cells([("ATS", {"tp_tau": (3.0,)}), ("ATS", {"tp_tau": (3.0, 4.0)})], {}, (0,))
    with pytest.raises(ValueError, match=r"holds the cell sweep-ATS-t2-seed0 twice \(also as sweep-ATS-tp4-t2"):
        make_cells([("ATS", {"t_tau": (2.0,)}), ("ATS", {"tp_tau": (4.0,), "t_tau": (2.0,)})], {}, (0,))


def test_a_folder_of_cells_named_by_the_earlier_rule_keeps_their_names(digits_teacher, tmp_path):
    from ats_ms.sweep.cells import sweep_cells
    from ats_ms.sweep.report import cell_paths
    config = ats_ms.make_config("sweep", t_ckpt=digits_teacher[1], net_name="ResNet8", seeds=(0,),
                                grid=("kd_way=ATS tp_tau=4 t_tau=2", "kd_way=KD"))
    fresh = [c.name for c in sweep_cells(config, str(tmp_path))]
    assert fresh[0] == "sweep-ATS-tp4-t2-seed0"
    for name in ("sweep-ATS-t2-seed0", fresh[1]):  # the old ATS name, and a cell whose name did not change
        for kind in ("log", "ckpt"):
            path = cell_paths(str(tmp_path), name)[kind]
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()
    names = [c.name for c in sweep_cells(config, str(tmp_path))]
    assert names[0] == "sweep-ATS-t2-seed0" and names[1:] == fresh[1:]
    open(cell_paths(str(tmp_path), fresh[0])["log"], "w").close()  # a folder with both: today's rule
    assert [c.name for c in sweep_cells(config, str(tmp_path))] == fresh


def test_grid_in_yaml_is_a_list_of_mappings(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text("grid:\n  - {kd_way: ATS, tp_tau: [3, 4], t_tau: 2}\n  - {kd_way: none}\nreport_only: true\n"
                    f"out_dir: {tmp_path}\n")
    config = ats_ms.make_config("sweep", str(path))
    assert config.grid == ("kd_way=ATS tp_tau=3.0,4.0 t_tau=2.0", "kd_way=none")
    assert config.replace(grid=["kd_way=ats t_tau=2 tp_tau=3,4"]).grid[0] == config.grid[0]  # canonical text


def _resume_file(path, stored):
    from mindspore import nn

    from ats_ms.engine import state
    net = nn.Dense(3, 2)
    optimizer = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    named = [(p.name, p) for p in net.get_parameters()]
    state.save_state(str(path), named, optimizer, {"epoch": 1, "history": [], "seed": 0, "config": stored}, {})


def test_a_resume_file_written_before_a_flag_existed_resumes_at_its_default(tmp_path):
    from ats_ms.engine import state
    config = ats_ms.make_config("classify", dataset="digits", ckpt_dir=str(tmp_path))
    older = config.to_dict()
    del older["drop_last"]  # written before --drop_last existed
    _resume_file(tmp_path / "old.resume.ckpt", older)
    saved, params, _ = state.read_state(str(tmp_path / "old.resume.ckpt"), config)
    assert saved["epoch"] == 1 and params
    with pytest.raises(ValueError, match=r"changed: drop_last\)"):  # that flag not at its default: refused
        state.read_state(str(tmp_path / "old.resume.ckpt"), config.replace(drop_last=True))
    _resume_file(tmp_path / "lr.resume.ckpt", dict(older, lr=0.5))
    with pytest.raises(ValueError, match=r"changed: lr\)"):  # a changed value is still refused
        state.read_state(str(tmp_path / "lr.resume.ckpt"), config)
    assert json.dumps(older)  # the stored config is plain JSON


def test_a_sweep_cell_written_before_a_hyper_parameter_existed_is_not_changed(digits_teacher, tmp_path):
    """A classic cell of an older version lacks logit_std (given per cell now): at the method's default it is the
    same run; another value is a change."""
    from ats_ms.engine.state import config_changes
    from ats_ms.sweep.cells import base_overrides, cell_config, sweep_cells
    _, teacher, _ = digits_teacher
    sweep = ats_ms.make_config("sweep", t_ckpt=teacher, net_name="ResNet8", tp_taus="2", t_taus="1", **TINY_KW)
    cell = sweep_cells(sweep)[0]
    config = cell_config(base_overrides(sweep, str(tmp_path)), cell)
    older = {k: v for k, v in config.to_dict().items() if k != "logit_std"}
    assert config.sources["logit_std"] == "given" and config_changes(older, config) == []
    assert config_changes(older, config.replace(logit_std=True)) == ["logit_std"]
