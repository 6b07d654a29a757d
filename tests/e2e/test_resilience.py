"""Interruption of one run (SIGKILL mid-epoch and during the checkpoint write) and resume, and a soak run (slow: fresh
processes). Packed runs: tests/e2e/test_sweep_runs.py; non-finite losses: tests/unit/engine/test_train.py. The
interrupted runs train TinyNet (tests/tiny_net.py, a plugin of each fresh process): resume does not depend on the
network. The soak trains ResNet8, whose parameters and activations a leak would grow with."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from cifar_fixtures import write_binary_layout
from conftest import kill_hook, subprocess_env

ms = pytest.importorskip("mindspore")

RUN = ["classify", "--dataset", "digits", "--n_classes", "10", "--net_name", "TinyNet", "--epoches", "3",
       "--batch_size", "64", "--max_train", "512", "--max_test", "128", "--lr", "0.1", "--ckpt_dir", "ckpts",
       "--log_dir", "logs", "--print_every", "2"]
pytestmark = pytest.mark.slow


def _run(cwd, *extra, env=None):
    return subprocess.run([sys.executable, "-m", "ats_ms", *RUN, *extra], cwd=cwd, env=env or subprocess_env(tiny=True),
                          capture_output=True, text=True, timeout=600)


def _cli_in(cwd, cli, monkeypatch, *extra):
    """The run's command with ``extra`` flags in this process, from ``cwd`` (a resume's start-up is not under test)."""
    monkeypatch.chdir(cwd)
    return cli(*RUN, *extra)


def _kill_when(cwd, needle):
    """Start the run and SIGKILL it as soon as ``needle`` appears on its stdout."""
    proc = subprocess.Popen([sys.executable, "-m", "ats_ms", *RUN], cwd=cwd, env=subprocess_env(tiny=True),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if needle in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    return "".join(seen)


def _params(path):
    return {k: v.asnumpy() for k, v in ms.load_checkpoint(str(path)).items() if not isinstance(v, str)}


def _check_complete(cwd, reference):
    log = (cwd / "logs" / "classify.log").read_text()
    assert log.count("[EPOCHS]: 1 2 3\n") == 1 and log.count("Namespace(") == 1
    epochs = [json.loads(line)["epoch"] for line in (cwd / "logs" / "digits-TinyNet.metrics.jsonl").open()]
    assert epochs == [1, 2, 3]
    got = _params(cwd / "ckpts" / "digits-TinyNet.ckpt")
    assert set(got) == set(reference)
    for name in reference:
        np.testing.assert_array_equal(got[name], reference[name], err_msg=name)
    assert not (cwd / "ckpts" / "digits-TinyNet.resume.ckpt").exists()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("uninterrupted")
    proc = _run(cwd)
    assert proc.returncode == 0, proc.stderr
    return _params(cwd / "ckpts" / "digits-TinyNet.ckpt")


@pytest.mark.xdist_group("reference")  # one worker: the uninterrupted reference runs once
def test_sigkill_mid_epoch_then_resume(tmp_path, reference, cli, monkeypatch, tiny_net):
    out = _kill_when(tmp_path, "epoch 2 step 4/")
    assert "[Epoch:1]" in out and "[Epoch:2]" not in out
    resume = tmp_path / "ckpts" / "digits-TinyNet.resume.ckpt"
    assert resume.is_file()
    again = _cli_in(tmp_path, cli, monkeypatch)
    assert again.returncode == 2 and "holds an interrupted run" in again.stderr
    changed = _cli_in(tmp_path, cli, monkeypatch, "--resume", "True", "--lr", "0.2")
    assert changed.returncode == 2 and "different configuration (changed: lr)" in changed.stderr
    done = _cli_in(tmp_path, cli, monkeypatch, "--resume", "True")
    assert done.returncode == 0, done.stderr
    assert "resumed from" in done.stdout and "[Epoch:1]" not in done.stdout and "[Epoch:3]" in done.stdout
    _check_complete(tmp_path, reference)


@pytest.mark.xdist_group("reference")  # one worker: the uninterrupted reference runs once
def test_sigkill_during_checkpoint_write_then_resume(tmp_path, reference, cli, monkeypatch, tiny_net):
    killed = _run(tmp_path, env=kill_hook(tmp_path / "hook", 2, tiny=True))
    assert killed.returncode == -signal.SIGKILL
    assert "[Epoch:2]" in killed.stdout
    resume = tmp_path / "ckpts" / "digits-TinyNet.resume.ckpt"
    state = json.loads(ms.load_checkpoint(str(resume))["ats_state"])
    assert state["epoch"] == 1
    leftovers = [n for n in os.listdir(tmp_path / "ckpts") if n.startswith(".")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".digits-TinyNet.resume.ckpt.tmp-")  # killed mid-write
    done = _cli_in(tmp_path, cli, monkeypatch, "--resume", "True")
    assert done.returncode == 0, done.stderr
    assert [n for n in os.listdir(tmp_path / "ckpts") if n.startswith(".")] == []  # the dead writer's file removed
    _check_complete(tmp_path, reference)


def test_soak_resident_memory_is_flat(tmp_path):
    write_binary_layout(str(tmp_path / "data"), "cifar10", n_train=40, n_test=10)
    epochs = 30
    proc = subprocess.run([sys.executable, "-m", "ats_ms", "classify", "--dataset", "cifar10", "--data_dir", "data",
                           "--n_classes", "10", "--net_name", "ResNet8", "--epoches", str(epochs), "--batch_size",
                           "8", "--ckpt_dir", "ckpts", "--log_dir", "logs", "--print_every", "0"],
                          cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rss = [json.loads(line)["rss_mb"] for line in (tmp_path / "logs" / "cifar10-ResNet8.metrics.jsonl").open()]
    growth = (rss[-1] - rss[1]) / rss[1]
    print(f"\nsoak: {epochs} epochs, resident memory epoch 2 {rss[1]:.1f} MB -> epoch {epochs} {rss[-1]:.1f} MB "
          f"({100 * growth:+.2f} %)")
    assert growth <= 0.05
