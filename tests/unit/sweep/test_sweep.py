"""The sweep's report and bookkeeping, without training: mean, sample std, best and best-TS cells; the ranking by
method with its difference to KD, in percent; claim files; how a cell reads as pending, done or damaged; a paper-style
config whose teacher is missing writes nothing. Sweeps that train are in tests/e2e/test_sweep_runs.py."""
import csv
import json
import os
import re
import socket
import time

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from ats_ms.sweep import report as sweep_report  # noqa: E402
from ats_ms.sweep.cells import make_cells  # noqa: E402
from ats_ms.sweep.claims import Claims  # noqa: E402


def test_teacher_is_checked_once_before_anything_is_written(tmp_path, cli):
    config = tmp_path / "grid.yaml"
    config.write_text(f"ckpt_dir: {tmp_path / 'none'}\nt_net_name: ResNet8\ndataset: digits\n")
    result = cli("sweep", "--config", config, "--out_dir", tmp_path / "out")
    assert result.returncode == 2 and result.stderr.count("error:") == 1
    assert "none/digits-ResNet8.ckpt not found" in result.stderr and not (tmp_path / "out").exists()


def _fake_cell(out, tp, t, seed, accs):
    _fake_named_cell(out, f"sweep-tp{tp:g}-t{t:g}-seed{seed}", accs)


def test_report_mean_sample_std_best_and_best_ts(tmp_path, cli):
    out = tmp_path / "out"
    for seed, shift in ((0, 0.0), (1, 0.02)):
        _fake_cell(out, 1, 1, seed, [0.40, 0.50 + shift])
        _fake_cell(out, 2, 1, seed, [0.45, 0.60 + shift])
    _fake_cell(out, 2, 2, 0, [0.30, 0.55])
    cells = make_cells([("ATS", {"tp_tau": (1.0, 2.0), "t_tau": (1.0, 2.0)})], {}, (0, 1), "classic")
    rows = sweep_report.collect(str(out), cells)
    cell = next(r for r in rows if (r["tp_tau"], r["t_tau"]) == (2.0, 1.0))
    assert cell["seeds"] == 2 and cell["last_mean"] == pytest.approx(0.61)
    assert cell["last_std"] == pytest.approx(np.std([0.60, 0.62], ddof=1))
    assert next(r for r in rows if r["tp_tau"] == 2.0 and r["t_tau"] == 2.0)["last_std"] is None  # one seed
    found = sweep_report.best_cells(rows)
    assert (found["best"]["tp_tau"], found["best_ts"]["tp_tau"]) == (2.0, 2.0) and \
        found["difference"] == pytest.approx(0.06)
    result = cli("sweep", "--tp_taus", "1,2", "--t_taus", "1,2", "--seeds", "0,1",
                 "--report_only", "True", "--out_dir", out)
    assert result.returncode == 0, result.stderr
    assert "best cell: tp_tau 2, t_tau 1: 61.00 ± 1.41 % (2 seeds)" in result.stdout
    assert "best TS cell (tp_tau = t_tau = 2): 55.00 % (1 seed); best - best TS: +6.00 points" in result.stdout
    table = json.loads((out / "sweep.json").read_text())
    assert table["best"]["tp_tau"] == 2.0 and len(table["rows"]) == 4


def test_claims_are_exclusive_and_stale_claims_are_taken_over_once(tmp_path):
    a, b, c = (Claims(str(tmp_path), timeout=60) for _ in range(3))
    assert a.try_claim("cell") and not b.try_claim("cell")
    a.release("cell")
    assert b.try_claim("cell") and not a.try_claim("cell")
    old = time.time() - 120
    os.utime(tmp_path / "cell.claim", (old, old))
    assert not a.try_claim("cell")  # a live process of this host keeps its claim, however old the file
    (tmp_path / "cell.claim").write_text(json.dumps({"host": socket.gethostname(), "pid": 2**22 + 7, "token": "dead"}))
    assert a.try_claim("cell") and not c.try_claim("cell")  # a dead owner's claim: taken over by exactly one
    assert a.owner("cell")["token"] == a.token
    reused = {"host": socket.gethostname(), "space": a.space, "pid": os.getpid(), "started": "another-boot:1",
              "token": "restarted"}
    (tmp_path / "cell.claim").write_text(json.dumps(reused))  # its pid now names another (live) process
    assert b.try_claim("cell") and b.owner("cell")["token"] == b.token
    assert not c.try_claim("cell")  # the same pid and identity: a live owner
    elsewhere = dict(reused, space="pid:[1]", token="container")  # another pid namespace (dead if judged here)
    (tmp_path / "cell.claim").write_text(json.dumps(elsewhere))
    assert not c.try_claim("cell")  # judged by its heartbeat, like another machine's claim
    other = {"host": "another-machine", "pid": 1, "token": "remote"}
    (tmp_path / "cell.claim").write_text(json.dumps(other))
    assert not b.try_claim("cell")  # another machine's claim, refreshed recently
    os.utime(tmp_path / "cell.claim", (old, old))
    assert b.try_claim("cell") and not c.try_claim("cell")  # no heartbeat for longer than the timeout
    b.refresh(["cell"])
    assert b.owner("cell")["age"] < 5 and not a.try_claim("cell")
    b.mark_failed("cell", "error: non-finite loss")
    assert a.is_failed("cell")


def test_report_ranks_methods_with_their_difference_to_kd(tmp_path):
    out = tmp_path / "out"
    groups = [("ATS", {"tp_tau": (4.0,), "t_tau": (2.0,)}), ("KD", {}), ("DIST", {})]
    cells = make_cells(groups, {}, (0, 1))
    accs = {"ATS": (0.60, 0.64), "KD": (0.55, 0.57), "DIST": (0.70, 0.70)}
    for cell in cells:
        _fake_named_cell(out, cell.name, [0.1, accs[cell.kd_way][cell.seed]])
    lines, figure = sweep_report.report(str(out), cells)
    ranked = [line.split()[:2] for line in lines if re.match(r"^\d\s", line)]
    assert ranked == [["1", "DIST"], ["2", "ATS"], ["3", "KD"]]
    ats = next(line for line in lines if line.startswith("2    ATS"))
    assert "62.00 ± 2.83 %" in ats and ats.split()[-2] == "+6.00"  # minus KD, in points
    assert "mean ± sample std over 2 seeds;" in lines[lines.index(next(x for x in lines if "ranked" in x))]
    assert ats.endswith("sweep-ATS-tp4-t2") and "best ATS cell (tp_tau 4, t_tau 2): 62.00 ± 2.83 % (2 seeds)" in lines
    assert json.loads((out / "sweep.json").read_text())["ranking"][2]["minus_kd_pct"] == 0.0
    # no method varies two axes: the figure is the bar chart of every cell, beside sweep.csv
    assert figure == str(out / "sweep.png") and (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ranking_csv_gives_every_accuracy_in_percent_named_in_its_header(tmp_path):
    out = tmp_path / "out"
    cells = make_cells([("ATS", {"tp_tau": (4.0,), "t_tau": (2.0,)}), ("KD", {})], {}, (0, 1))
    accs = {"ATS": (0.88, 0.89), "KD": (0.68, 0.69)}
    for cell in cells:
        _fake_named_cell(out, cell.name, [0.5, accs[cell.kd_way][cell.seed]])
    sweep_report.report(str(out), cells)
    with open(out / "ranking.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["rank", "kd_way", "cell", "seeds", "last_mean_pct", "last_std_pct", "best_mean_pct",
                             "best_std_pct", "minus_kd_pct"]
    ats = rows[0]
    assert ats["kd_way"] == "ATS" and float(ats["last_mean_pct"]) == pytest.approx(88.5)
    assert float(ats["last_std_pct"]) == pytest.approx(100 * np.std([0.88, 0.89], ddof=1), abs=1e-3)
    assert float(ats["best_mean_pct"]) == pytest.approx(88.5) and float(ats["minus_kd_pct"]) == pytest.approx(20.0)


def _fake_named_cell(out, name, accs):
    """A finished cell: a one-parameter checkpoint whose record says its epoch, and one metrics line per epoch."""
    from ats_ms.models.checkpoint import RECORD_KEY
    (out / "ckpts").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    ms.save_checkpoint([{"name": "w", "data": ms.Tensor(np.zeros(1, np.float32))}], str(out / "ckpts" / f"{name}.ckpt"),
                       append_dict={RECORD_KEY: json.dumps({"epoch": len(accs)})})
    (out / "logs" / f"{name}.metrics.jsonl").write_text("".join(json.dumps({"epoch": i + 1, "test_acc": a}) + "\n"
                                                                for i, a in enumerate(accs)))


def test_read_cell_tells_pending_done_and_each_kind_of_damage(tmp_path):
    out = tmp_path / "out"
    _fake_named_cell(out, "c", [0.4, 0.5])
    assert sweep_report.read_cell(str(out), "c") == ("done", (0.5, 0.5))
    assert sweep_report.read_cell(str(out), "other") == ("pending", None)  # no final checkpoint: not finished
    metrics, ckpt, config = (out / "logs" / "c.metrics.jsonl", out / "ckpts" / "c.ckpt", out / "logs" / "c.config.yaml")
    good = metrics.read_bytes()
    damages = [(metrics, good.splitlines(keepends=True)[0], "ends at epoch 1, but checkpoint"),  # a lost last line
               (metrics, good[:-9], "line 2 is not a JSON record (cut short?)"),
               (metrics, b'{"epoch": 1}\n', "line 1 holds no test accuracy"),
               (metrics, b"\xff\xfe\x00garbage", "is not text"),
               (metrics, b"", "holds no epoch"),
               (config, b"lr: [0.1\n", "cannot be read as YAML"),
               (config, b"just text\n", "is not a YAML mapping of flags"),
               (ckpt, b"", "is empty")]
    for path, data, words in damages:
        kept = path.read_bytes() if path.exists() else None
        path.write_bytes(data)
        state, what = sweep_report.read_cell(str(out), "c")
        assert state == "damaged" and str(path) in what and words in what, (words, what)
        path.unlink() if kept is None else path.write_bytes(kept)
    assert sweep_report.read_cell(str(out), "c")[0] == "done"



# The tests of damaged cells copy one trained grid: they run in one pytest-xdist worker (the grid is trained once) and
# in the full suite only (training it costs more than the quick suite can spare).


def test_ranking_names_the_seed_count_once_when_every_method_has_the_same():
    row = {"rank": 1, "kd_way": "ATS", "cell": "c", "seeds": 2, "last_mean_pct": 62.0, "last_std_pct": 2.83,
           "best_mean_pct": 63.0, "best_std_pct": 1.0, "minus_kd_pct": 6.0}
    same = sweep_report.ranking_lines([row, dict(row, rank=2, kd_way="KD", minus_kd_pct=0.0)])
    assert "over 2 seeds;" in same[0] and "(2 seeds)" not in "".join(same[2:])
    mixed = sweep_report.ranking_lines([row, dict(row, rank=2, kd_way="KD", seeds=1, last_std_pct=None)])
    assert "over seeds;" in mixed[0] and "62.00 ± 2.83 % (2 seeds)" in mixed[2] and "62.00 % (1 seed)" in mixed[3]


def test_a_method_registered_later_renames_no_finished_cell(tmp_path, monkeypatch):
    """``kd_way=others`` grows with the registry. A method whose lamb default is 0.7 makes lamb differ between the
    cells, so a fresh grid names ATS's cells ``...-lamb0.5-...``; in a folder that holds them under their earlier
    names, every cell keeps its name, and no seed of a group is named apart from the others."""
    from ats_ms.losses import registry as methods
    from ats_ms.losses.catalogue import LAMB
    from ats_ms.sweep.cells import keep_stored_names
    from ats_ms.sweep.grid import grid_groups
    grid = {"grid": ("kd_way=ATS tp_tau=4 t_tau=2", "kd_way=others")}
    out = tmp_path / "out"
    before = make_cells(grid_groups(grid), {}, (0, 1))
    for cell in before:
        if cell.seed == 0:  # seed 0 finished; seed 1 not started
            _fake_named_cell(out, cell.name, [0.5])
            (out / "logs" / f"{cell.name}.config.yaml").write_text(json.dumps(
                {"kd_way": cell.kd_way, "seed": cell.seed, **cell.settings}))
    monkeypatch.setattr(methods, "_METHODS", dict(methods._METHODS))
    methods.register(methods.Method("LateKD", "a method registered later", (methods.variant(LAMB, 0.7),),
                                    "ats_ms.losses.functional:ce_objective", "ats_ms.reference.losses:ce_objective"))
    grown = make_cells(grid_groups(grid), {}, (0, 1))
    assert grown[0].name == "sweep-ATS-tp4-t2-lamb0.5-seed0"  # what a fresh folder would name it
    kept = keep_stored_names(grown, str(out))
    assert [c.name for c in kept if c.kd_way != "LateKD"] == [c.name for c in before]
    assert any(c.kd_way == "LateKD" for c in kept)
