"""Packed sweeps that train: a pack of cells ends exactly as the cells run alone (the classic grid, and every method
in one pack); the default pack size; the Python API's packs; a diverging run stops alone; resume after kill -9 during a
packed epoch and during the checkpoint writes, and after Ctrl-C; two msrun workers sharing one grid; damaged cells (a
cut-short metrics line, a deleted metrics file, a random-bytes checkpoint) are trained again with their files kept,
and refused by --report_only, as are flags other than those the cells were trained with; one teacher load and one
label check per sweep. The networks are TinyNet (tests/tiny_net.py): none of this depends on the network, and its
graphs compile in half of ResNet8's time."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

import ats_ms

from conftest import ROOT, TINY_KW, kill_hook, subprocess_env
from tiny_net import registered

ms = pytest.importorskip("mindspore")
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tiny_net")]

from ats_ms.sweep import report as sweep_report  # noqa: E402
from ats_ms.sweep import worker  # noqa: E402

GRID = ["--tp_taus", "2,3,4", "--t_taus", "2"]
CELLS = ["sweep-tp2-t2-seed0", "sweep-tp3-t2-seed0", "sweep-tp4-t2-seed0"]


def _config(folder, teacher_folder, epochs=3):
    """A paper-style distillation YAML: no t_ckpt; the teacher is {ckpt_dir}/{dataset}-{t_net_name}.ckpt. 4 steps
    of 32 images per epoch."""
    path = folder / "grid.yaml"
    small = dict(TINY_KW, max_train=128, max_test=64, batch_size=32)
    lines = [f"ckpt_dir: {teacher_folder / 'ckpts'}", "t_net_name: TinyNet", "net_name: TinyNet",
             f"epoches: {epochs}", "lr: 0.05", "kd_way: ATS"] + [f"{k}: {v}" for k, v in small.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _params(path):
    out = ms.load_checkpoint(str(path))
    return {k: v.asnumpy() for k, v in out.items() if not isinstance(v, str)}


def _metrics(out, cell):
    return [json.loads(line) for line in (out / "logs" / f"{cell}.metrics.jsonl").open()]


# The tests that compare with the cells run alone share one pytest-xdist worker (run_tests.sh passes --dist
# loadgroup), so the session fixture below is computed once rather than once per worker.
ALONE_GROUP = pytest.mark.xdist_group("alone")


@pytest.fixture(scope="session")
def alone(tiny_teacher, tmp_path_factory):
    """The three cells run one at a time (--pack 1): the reference."""
    folder = tmp_path_factory.mktemp("alone")
    config = _config(folder, tiny_teacher[0])
    from ats_ms.__main__ import main
    with registered():
        assert main(["sweep", "--config", str(config), *GRID, "--pack", "1", "--out_dir", str(folder / "out")]) == 0
    return folder / "out", config


@ALONE_GROUP
def test_pack_of_three_ends_exactly_as_each_cell_alone(alone, tmp_path, cli):
    reference, config = alone
    result = cli("sweep", "--config", config, *GRID, "--pack", "3", "--out_dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "[sweep] pack of 3 (seed 0, from epoch 1): " + ", ".join(CELLS) in result.stdout
    for cell in CELLS:
        assert re.search(rf"^\[{cell}\] \[Epoch:3\] \[Loss:", result.stdout, re.M)
        got, want = _params(tmp_path / "out" / "ckpts" / f"{cell}.ckpt"), _params(reference / "ckpts" / f"{cell}.ckpt")
        assert set(got) == set(want)
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-7, err_msg=f"{cell} {name}")
        for a, b in zip(_metrics(tmp_path / "out", cell), _metrics(reference, cell)):
            for key in ("loss", "train_acc", "test_acc", "test_top1", "test_top5"):
                assert round(a[key], 4) == round(b[key], 4), (cell, key)
        log = (tmp_path / "out" / "logs" / f"{cell}.log").read_text()
        assert log.count("[EPOCHS]: 1 2 3\n") == 1 and f"ckpt_name='{cell}.ckpt'" in log
    again = cli("sweep", "--config", config, *GRID, "--pack", "3", "--out_dir", tmp_path / "out")
    assert again.returncode == 0 and "3 already done" in again.stdout and "pack of" not in again.stdout
    other = cli("sweep", "--config", config, *GRID, "--lamb", "0.9", "--out_dir", tmp_path / "out")
    assert other.returncode == 2 and "sweep-tp2-t2-seed0" in other.stderr, other.stderr  # one grid per folder
    assert "changed: lamb" in other.stderr and "a new --out_dir" in other.stderr and not other.stdout
    from ats_ms.sweep.compare import main as compare
    assert compare([str(tmp_path / "out"), str(reference)]) == 0  # the README's check of a pack against pack 1


def test_default_pack_size_comes_from_the_memory_estimate_and_is_printed(tiny_teacher, tmp_path, cli):
    config = _config(tmp_path, tiny_teacher[0], epochs=1)
    result = cli("sweep", "--config", config, "--tp_taus", "2,3", "--t_taus", "2", "--out_dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    line = re.search(r"^\[sweep\] pack: (\d+) cells at a time \(memory estimate (\d+) MB per student, (\d+) MB free "
                     r"host memory, \d+% of it used\); lower it with --pack N$", result.stdout, re.M)
    assert line and int(line.group(1)) == 2 and int(line.group(2)) > 0, result.stdout
    assert "[sweep] pack of 2 (seed 0, from epoch 1): sweep-tp2-t2-seed0, sweep-tp3-t2-seed0" in result.stdout
    again = cli("sweep", "--config", config, "--tp_taus", "2,3", "--t_taus", "2", "--out_dir", tmp_path / "out")
    assert again.returncode == 0 and "2 already done" in again.stdout  # nothing left to train: no pack advice
    assert "memory estimate" not in again.stdout and "pack of" not in again.stdout


def test_python_api_packs_any_settings_sharing_one_teacher(tiny_teacher, tmp_path):
    _, teacher, _ = tiny_teacher
    base = ats_ms.make_config("distill", t_ckpt=teacher, net_name="TinyNet", epoches=1, ckpt_dir=str(tmp_path),
                              log_dir=str(tmp_path), **TINY_KW)
    settings = [dict(kd_way="ATS", tp_tau=4, t_tau=2), dict(kd_way="TS", t_tau=4, tp_tau=4),
                dict(kd_way="ATS", tp_tau=6, t_tau=3, lamb=0.9, s_tau=2), dict(kd_way="none")]
    configs = [base.replace(ckpt_name=f"run{i}.ckpt", **s) for i, s in enumerate(settings)]
    results = ats_ms.train_pack(configs, emit=lambda line: None)
    assert [r["status"] for r in results] == ["done"] * 4 and all(len(r["history"]) == 1 for r in results)
    assert len({r["history"][0]["loss"] for r in results}) == 4
    with pytest.raises(ValueError, match="these differ: net_name"):
        ats_ms.train_pack([configs[0], configs[1].replace(net_name="ResNet8")])
    with pytest.raises(ValueError, match="would write"):
        ats_ms.train_pack([configs[0], configs[0].replace(tp_tau=5)])
    with pytest.raises(ValueError, match="1 labels for 2 runs"):
        ats_ms.train_pack(configs[:2], labels=["one"])
    with pytest.raises(ValueError, match="no runs to train"):
        ats_ms.train_pack([])


def _diverging_run(monkeypatch, label):
    """Runs labelled ``label`` get a loss that is NaN from the first step."""
    from mindspore import nn, ops

    from ats_ms.engine.pack import Member

    class Diverging(nn.Cell):
        """The run's own loss plus sqrt(-1): NaN from the first step (the ATS loss itself stays finite)."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def construct(self, s_logits, t_logits, labels):
            loss = self.inner(s_logits, t_logits, labels)
            return loss + ops.sqrt(loss - loss - 1.0)

    original = Member.loss_fn
    monkeypatch.setattr(Member, "loss_fn", lambda self: Diverging(original(self)) if self.label == label else
                        original(self))


def test_a_run_whose_loss_diverges_stops_alone_and_the_pack_goes_on(tiny_teacher, tmp_path, monkeypatch):
    """In dataset sink mode (on CPU MindSpore runs the same calls without a sink): the failing epoch ends the call,
    the survivor goes on in a new call on a pipeline seeded for the next epoch, i.e. as it would alone in normal
    mode."""
    from ats_ms.engine.trainer import Trainer
    _diverging_run(monkeypatch, "bad")
    calls, original = [], Trainer._train

    def recording(self, first, members):
        reached = original(self, first, members)
        calls.append((first, reached, [m.label for m in members]))
        return reached

    monkeypatch.setattr(Trainer, "_train", recording)
    _, teacher, _ = tiny_teacher
    base = ats_ms.make_config("distill", t_ckpt=teacher, net_name="TinyNet", epoches=2, dataset_sink_mode=True,
                              **TINY_KW, ckpt_dir=str(tmp_path / "pack"), log_dir=str(tmp_path / "pack"))
    good, bad = base.replace(ckpt_name="good.ckpt"), base.replace(ckpt_name="bad.ckpt")
    lines = []
    results = ats_ms.train_pack([good, bad], emit=lines.append, labels=["good", "bad"])
    assert [r["status"] for r in results] == ["done", "failed"]
    assert "non-finite loss at epoch 1, step 1" in results[1]["error"] and results[1]["history"] == []
    assert calls == [(0, 1, ["good", "bad"]), (1, 2, ["good"])]  # stopped after the failing epoch, then a new call
    alone = ats_ms.train(good.replace(dataset_sink_mode=False, ckpt_dir=str(tmp_path / "alone"),
                                      log_dir=str(tmp_path / "alone")), emit=lambda line: None)
    assert len(results[0]["history"]) == len(alone) == 2
    for a, b in zip(results[0]["history"], alone):  # the survivor's graph was rebuilt without the failed run
        assert round(a["loss"], 4) == round(b["loss"], 4) and round(a["test_acc"], 4) == round(b["test_acc"], 4)
    assert not (tmp_path / "pack" / "bad.ckpt").exists() and (tmp_path / "pack" / "good.ckpt").is_file()


def _sweep_argv(config, out, *extra, grid=GRID):
    return [sys.executable, "-m", "ats_ms", "sweep", "--config", str(config), *grid, "--out_dir", str(out),
            "--print_every", "1", *extra]


def _check_resumed_grid(out, reference, cells=CELLS):
    """The cells of ``out`` (named ``cells``) finished as the classic grid's cells of ``reference`` (same order)."""
    for cell, same in zip(cells, CELLS):
        log = (out / "logs" / f"{cell}.log").read_text()
        assert log.count("[EPOCHS]: 1 2 3\n") == 1 and log.count("Namespace(") == 1, cell
        assert [m["epoch"] for m in _metrics(out, cell)] == [1, 2, 3], cell
        got, want = _params(out / "ckpts" / f"{cell}.ckpt"), _params(reference / "ckpts" / f"{same}.ckpt")
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-7, err_msg=f"{cell} {name}")
        assert not (out / "ckpts" / f"{cell}.resume.ckpt").exists()
    assert not list((out / "claims").glob("*.claim"))


@ALONE_GROUP
def test_kill_9_during_a_packed_epoch_then_the_same_command_resumes_every_cell(alone, tmp_path, cli):
    """Killed in a fresh process; the same command then runs in this one (its start-up is not under test)."""
    reference, config = alone
    argv = _sweep_argv(config, tmp_path / "out", "--pack", "2")
    proc = subprocess.Popen(argv, env=subprocess_env(tiny=True), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("  epoch 2 step 2/"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert "[sweep-tp3-t2-seed0] [Epoch:1]" in "".join(seen) and "[Epoch:2]" not in "".join(seen)
    done = cli(*argv[3:])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[sweep] pack of 2 (seed 0, from epoch 2): sweep-tp2-t2-seed0, sweep-tp3-t2-seed0" in done.stdout
    assert "[sweep-tp2-t2-seed0] [Epoch:1]" not in done.stdout and "[sweep-tp2-t2-seed0] [Epoch:2]" in done.stdout
    _check_resumed_grid(tmp_path / "out", reference)


@ALONE_GROUP
def test_kill_9_between_the_resume_writes_of_a_pack_repacks_cells_by_progress(alone, tmp_path, cli):
    """On generic --grid cells (the classic grid's settings, named by their method and what their group sets)."""
    reference, config = alone
    cells = ["sweep-ATS-tp2-t2-seed0", "sweep-ATS-tp3-t2-seed0", "sweep-ATS-tp4-t2-seed0"]
    argv = _sweep_argv(config, tmp_path / "out", "--pack", "3", grid=["--grid", "kd_way=ATS tp_tau=2,3,4 t_tau=2"])
    killed = subprocess.run(argv, env=kill_hook(tmp_path / "hook", 5, tiny=True), capture_output=True, text=True,
                            timeout=600)
    assert killed.returncode == -signal.SIGKILL
    epochs = [worker._epochs_done(ats_ms.make_config("distill", t_ckpt=str(tmp_path), kd_way="none",
                                                    ckpt_dir=str(tmp_path / "out" / "ckpts"), ckpt_name=f"{c}.ckpt"))
              for c in cells]
    assert epochs == [2, 1, 1]
    done = cli(*argv[3:])  # the same command, in this process
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pack of 2 (seed 0, from epoch 2): sweep-ATS-tp3-t2-seed0, sweep-ATS-tp4-t2-seed0" in done.stdout
    assert "pack of 1 (seed 0, from epoch 3): sweep-ATS-tp2-t2-seed0" in done.stdout
    _check_resumed_grid(tmp_path / "out", reference, cells)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@ALONE_GROUP
def test_two_msrun_workers_share_one_grid_without_running_a_cell_twice(alone, tmp_path, cli):
    reference, config = alone
    out = tmp_path / "out"
    env = dict(subprocess_env(tiny=True), DEVICE_TARGET="CPU", MASTER_PORT=str(_free_port()),
               LOG_DIR=str(tmp_path / "msrun"),
               PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "run_sweep_gpu.sh"), str(config), "2", *GRID,
                           "--out_dir", str(out), "--pack", "1"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900)
    logs = {p.name: p.read_text() for p in (tmp_path / "msrun").glob("worker_*.log")}
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:] + "".join(logs.values())[-3000:]
    assert set(logs) == {"worker_0.log", "worker_1.log"}
    assert all("[sweep] 3 cells (3 tp_tau x 1 t_tau x 1 seed)" in text for text in logs.values())  # both took part
    started = [re.findall(r"\[sweep\] pack of 1 \(seed 0, from epoch 1\): (\S+)", text) for text in logs.values()]
    assert sorted(sum(started, [])) == CELLS  # every cell exactly once, whichever worker took it
    report = cli("sweep", "--config", config, *GRID, "--out_dir", out, "--report_only", "True")
    assert report.returncode == 0 and "best cell:" in report.stdout
    _check_resumed_grid(out, reference)
    shutil.rmtree(tmp_path / "msrun", ignore_errors=True)


def test_every_method_trains_in_one_pack_as_alone_and_reports_per_method(tiny_teacher, tmp_path, cli):
    """Every registered method at its defaults, 2 epochs (DKD's warm-up and CTKD's reversal change between them):
    one pack sharing the teacher forward ends as each cell alone; cell names show what differs."""
    from ats_ms.losses import KD_WAYS
    config = _config(tmp_path, tiny_teacher[0], epochs=2)
    config.write_text(config.read_text().replace("max_train: 128", "max_train: 64").replace("max_test: 64",
                                                                                         "max_test: 32"))
    grid = ["--grid", "kd_way=others"]  # every registered method, at its defaults
    packed = cli("sweep", "--config", config, *grid, "--pack", str(len(KD_WAYS)), "--out_dir", tmp_path / "packed")
    assert packed.returncode == 0, packed.stderr
    started = re.search(r"^\[sweep\] pack of (\d+) \(seed 0, from epoch 1\): (.+)$", packed.stdout, re.M)
    names = started.group(2).split(", ")
    assert int(started.group(1)) == len(KD_WAYS) == len(set(names))  # one cell each, names distinct
    assert all(name.startswith(f"sweep-{kd_way}-") and name.endswith("-seed0") for name, kd_way in zip(names, KD_WAYS))
    alone = cli("sweep", "--config", config, *grid, "--pack", "1", "--out_dir", tmp_path / "alone")
    assert alone.returncode == 0, alone.stderr
    from ats_ms.sweep.compare import main as compare
    assert compare([str(tmp_path / "packed"), str(tmp_path / "alone")]) == 0  # parameters and metrics as alone
    for kd_way in KD_WAYS:
        assert re.search(rf"^best {kd_way} cell.*: \d+\.\d\d % \(1 seed\)$", packed.stdout, re.M), packed.stdout
    assert re.search(r"^\[sweep-CTKD-\S+\]\s+learned temperature: \d+\.\d{4}$", packed.stdout, re.M)
    rows = json.loads((tmp_path / "packed" / "sweep.json").read_text())["rows"]
    assert [r["kd_way"] for r in rows] == list(KD_WAYS) and rows[1]["tp_tau"] is None  # TS: one temperature
    from ats_ms.config.record import read_record
    assert read_record(str(tmp_path / "packed" / "ckpts" / "sweep-none-seed0.ckpt"))["lamb"] is None
    changed = cli("sweep", "--config", config, *grid, "--lamb", "0.9", "--out_dir", tmp_path / "packed")
    assert changed.returncode == 2 and "changed: lamb" in changed.stderr  # ATS and TS cells take --lamb


def test_ctrl_c_prints_the_resume_file_and_command_then_the_command_resumes(tiny_teacher, tmp_path, cli):
    """A real SIGINT during training (MindSpore turns one that arrives inside a graph step into SIGTERM)."""
    _, teacher, _ = tiny_teacher
    argv = ["distill", "--t_ckpt", teacher, "--net_name", "TinyNet", "--epoches", "3", "--dataset", "digits",
            "--max_train", "256", "--max_test", "128", "--batch_size", "64", "--print_every", "0", "--download",
            "False", "--ckpt_dir", tmp_path / "ckpts", "--log_dir", tmp_path / "logs", "--ckpt_name", "s.ckpt"]
    proc = subprocess.Popen([sys.executable, "-m", "ats_ms", *map(str, argv)], env=subprocess_env(tiny=True),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    for line in proc.stdout:
        if line.startswith("[Epoch:1]"):
            proc.send_signal(signal.SIGINT)
            break
    _, err = proc.communicate(timeout=300)
    resume = tmp_path / "ckpts" / "s.resume.ckpt"
    assert proc.returncode == 130 and resume.is_file(), err[-2000:]
    assert re.search(rf"^error: interrupted during training; resume file: {re.escape(str(resume))} \(epoch [12]\); "
                     rf"resume with: python -m ats_ms distill --t_ckpt .* --ckpt_name s.ckpt --resume True$", err, re.M)
    again = cli(*argv, "--resume", "True")  # the printed command, run in this process
    assert again.returncode == 0 and "resumed from" in again.stdout and (tmp_path / "ckpts" / "s.ckpt").is_file()


DAMAGE_GROUP = pytest.mark.xdist_group("one_epoch_grid")


@pytest.fixture(scope="session")
def one_epoch_grid(tiny_teacher, tmp_path_factory):
    """The cells of GRID trained 1 epoch in one pack: a finished sweep folder to damage (each test copies it)."""
    folder = tmp_path_factory.mktemp("one_epoch")
    config = _config(folder, tiny_teacher[0], epochs=1)
    from ats_ms.__main__ import main
    with registered():
        assert main(["sweep", "--config", str(config), *GRID, "--pack", "3", "--out_dir", str(folder / "out")]) == 0
    return folder / "out", config


def _snapshot(folder):
    """{path relative to ``folder``: bytes} of every file under it."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _nothing_lost(before, folder):
    """Every file of ``before`` is in ``folder`` with the same bytes, at its place or kept as ``<file>.damaged-N``
    (the report, sweep.*, is written again by a sweep that trained)."""
    after = _snapshot(folder)
    for name, data in before.items():
        if not name.startswith("sweep."):
            assert after.get(name) == data or any(after.get(f"{name}.damaged-{n}") == data for n in (1, 2)), name


DAMAGES = {  # what is done to a cell's files -> what the error or retrain line says
    "cut_short_metrics_line": (lambda out, c: _cut(out / "logs" / f"{c}.metrics.jsonl", 40),
                               "line 1 is not a JSON record (cut short?)"),
    "deleted_metrics_file": (lambda out, c: (out / "logs" / f"{c}.metrics.jsonl").unlink(), "is missing"),
    "random_bytes_checkpoint": (lambda out, c: (out / "ckpts" / f"{c}.ckpt").write_bytes(os.urandom(5000)),
                                "cannot be read (not a complete MindSpore checkpoint)"),
}


def _cut(path, size):
    path.write_bytes(path.read_bytes()[:size])


@pytest.mark.parametrize("damage", list(DAMAGES))
@DAMAGE_GROUP
def test_report_only_refuses_a_damaged_cell_in_one_line_and_writes_nothing(one_epoch_grid, tmp_path, cli, damage):
    out = tmp_path / "out"
    shutil.copytree(one_epoch_grid[0], out)
    damage_files, words = DAMAGES[damage]
    damage_files(out, CELLS[1])
    before = _snapshot(out)
    result = cli("sweep", *GRID, "--out_dir", out, "--report_only", "True")
    assert result.returncode == 2 and result.stderr.count("error:") == 1 and not result.stdout, result
    assert result.stderr.startswith(f"error: cell {CELLS[1]} of {out} is damaged: ") and words in result.stderr
    assert f"/{CELLS[1]}." in result.stderr and "nothing was written" in result.stderr
    assert _snapshot(out) == before  # sweep.csv, sweep.json and every cell file as they were


@DAMAGE_GROUP
def test_the_sweep_trains_damaged_cells_again_and_keeps_their_files(one_epoch_grid, tmp_path, cli):
    out = tmp_path / "out"
    shutil.copytree(one_epoch_grid[0], out)
    for cell, damage in zip(CELLS, DAMAGES):
        DAMAGES[damage][0](out, cell)
    (out / "ckpts" / f"{CELLS[2]}.ckpt.damaged-1").write_bytes(b"the user's own file")  # not overwritten: -2 it is
    before = _snapshot(out)
    result = cli("sweep", "--config", one_epoch_grid[1], *GRID, "--pack", "3", "--out_dir", out)
    assert result.returncode == 0 and not result.stderr, result.stderr
    for (cell, damage), n in zip(zip(CELLS, DAMAGES), (1, 1, 2)):
        assert re.search(rf"^\[sweep\] cell {cell}: .*{re.escape(DAMAGES[damage][1])}; training it again \(its files "
                         rf"are kept as <file>\.damaged-{n}\)$", result.stdout, re.M), result.stdout
    assert "0 already done" in result.stdout and "[sweep] pack of 3 (seed 0, from epoch 1)" in result.stdout
    _nothing_lost(before, out)
    cut = f"logs/{CELLS[0]}.metrics.jsonl"
    assert (out / f"{cut}.damaged-1").read_bytes() == before[cut]
    assert (out / "ckpts" / f"{CELLS[1]}.ckpt.damaged-1").read_bytes() == before[f"ckpts/{CELLS[1]}.ckpt"]
    assert (out / "ckpts" / f"{CELLS[2]}.ckpt.damaged-2").read_bytes() == before[f"ckpts/{CELLS[2]}.ckpt"]
    assert (out / "ckpts" / f"{CELLS[2]}.ckpt.damaged-1").read_bytes() == b"the user's own file"
    for cell in CELLS:
        assert sweep_report.read_cell(str(out), cell)[0] == "done"
        assert (out / "logs" / f"{cell}.log").read_text().count("Namespace(") == 1  # a fresh log; the old one kept
    assert [r["seeds"] for r in json.loads((out / "sweep.json").read_text())["rows"]] == [1, 1, 1]
    again = cli("sweep", "--config", one_epoch_grid[1], *GRID, "--out_dir", out)
    assert again.returncode == 0 and "3 already done" in again.stdout and "training it again" not in again.stdout


@DAMAGE_GROUP
def test_a_damaged_cell_whose_files_cannot_be_moved_aside_is_refused(one_epoch_grid, tmp_path, cli, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(one_epoch_grid[0], out)
    DAMAGES["random_bytes_checkpoint"][0](out, CELLS[0])
    before = _snapshot(out)
    rename = os.rename

    def refuse_logs(src, dst):
        if "/logs/" in str(src):
            raise PermissionError(13, "Permission denied")
        rename(src, dst)

    monkeypatch.setattr(os, "rename", refuse_logs)
    result = cli("sweep", "--config", one_epoch_grid[1], *GRID, "--out_dir", out)
    assert result.returncode == 2 and result.stderr.count("error:") == 1, result
    assert re.match(rf"error: cell {CELLS[0]}: checkpoint .* cannot be read .*; {re.escape(str(out))}/logs/"
                    rf"{CELLS[0]}\.\S+ cannot be moved aside to \S+\.damaged-1 \(Permission denied\); expected a "
                    rf"writable folder", result.stderr), result.stderr
    assert "pack of" not in result.stdout and not list((out / "claims").glob("*.claim"))
    assert _snapshot(out) == before  # the files moved before the refusal were moved back


@DAMAGE_GROUP
def test_report_only_with_a_changed_flag_is_refused_and_rewrites_nothing(one_epoch_grid, tmp_path, cli):
    out = tmp_path / "out"
    shutil.copytree(one_epoch_grid[0], out)
    before = _snapshot(out)
    for changed, words in ((["--lamb", "0.9"], "changed: lamb 0.5 -> 0.9"),
                           (["--config", one_epoch_grid[1], "--lr", "0.1"], "changed: lr 0.05 -> 0.1")):
        result = cli("sweep", *GRID, *changed, "--out_dir", out, "--report_only", "True")
        assert result.returncode == 2 and result.stderr.count("error:") == 1 and not result.stdout, result
        assert result.stderr.startswith(f"error: --report_only: {CELLS[0]} in {out} was trained with other settings "
                                        f"({words}); expected the flags it was trained with")
        assert _snapshot(out) == before
    same = cli("sweep", "--config", one_epoch_grid[1], *GRID, "--out_dir", out, "--report_only", "True")
    assert same.returncode == 0 and "best cell:" in same.stdout, same.stderr


def test_a_sweep_loads_the_teacher_and_checks_the_labels_once_for_all_its_packs(tiny_teacher, tmp_path, cli,
                                                                               monkeypatch):
    import ats_ms.data.pipeline
    import ats_ms.engine.teacher
    import ats_ms.engine.trainer
    loads, checks = [], []
    load, check = ats_ms.engine.teacher.load_teacher, ats_ms.data.pipeline.check_labels
    monkeypatch.setattr(ats_ms.engine.teacher, "load_teacher", lambda config: loads.append(1) or load(config))
    monkeypatch.setattr(ats_ms.engine.trainer, "load_teacher", lambda config: loads.append(1) or load(config))
    monkeypatch.setattr(ats_ms.data.pipeline, "check_labels", lambda *a: checks.append(a[2]) or check(*a))
    config = _config(tmp_path, tiny_teacher[0], epochs=1)
    result = cli("sweep", "--config", config, "--tp_taus", "2,3", "--t_taus", "2", "--pack", "1",
                 "--out_dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[sweep] pack of 1 ") == 2
    assert len(loads) == 1 and checks == ["digits train", "digits test"]
