"""The demo's exact command lines (scripts/run_teacher.sh, run_ts.sh, run_ats.sh, run_export.sh, run_eval.sh) with
EPOCHES=1 on small CIFAR-100 binary-layout files written here: epoch lines, log blocks and checkpoint names.

The scripts pass extra arguments on to every command: ``--mode pynative`` here, which spares the graph compiles of
ResNet110 (60 s to 35 s on this 2-core CPU); the other tests train, evaluate and export in graph mode."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from cifar_fixtures import write_binary_layout

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PYNATIVE = ("--mode", "pynative")
EPOCH_LINE = re.compile(r"^\[Epoch:1\] \[Loss:[\d.e+-]+\] \[TrAcc:[\d.e+-]+\] \[TeAcc:[\d.e+-]+\]$", re.M)


def _script(name, cwd, *extra):
    env = dict(os.environ, EPOCHES="1", DEVICE="CPU")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / name), *extra], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _blocks(path):
    text = path.read_text()
    blocks = [b for b in text.split("\n\n") if b.strip()]
    for block in blocks:
        lines = block.splitlines()
        assert lines[0].startswith("Namespace(") and lines[1] == "[EPOCHS]: 1"
        assert [line.split(":")[0] for line in lines[2:]] == ["[LOSSES]", "[TrACCS]", "[TeACCS]"]
    return blocks


def test_demo_scripts_end_to_end(tmp_path):
    write_binary_layout(str(tmp_path / "data"), "cifar100", n_train=40, n_test=20)
    out = _script("run_teacher.sh", tmp_path, *PYNATIVE)
    assert len(EPOCH_LINE.findall(out)) == 2
    assert len(_blocks(tmp_path / "logs" / "teacher.log")) == 2
    out = _script("run_ts.sh", tmp_path, *PYNATIVE) + _script("run_ats.sh", tmp_path, *PYNATIVE)
    assert len(EPOCH_LINE.findall(out)) == 4
    assert "net_name='VGG8'" in _blocks(tmp_path / "logs" / "student-kd-ts.log")[0]
    assert "kd_way='ATS'" in _blocks(tmp_path / "logs" / "student-kd-ats.log")[1]
    _script("run_export.sh", tmp_path)
    out = _script("run_eval.sh", tmp_path, *PYNATIVE)
    assert out.count("top-1") == 6
    assert sorted(os.listdir(tmp_path / "ckpts")) == sorted([
        "cifar100-ResNet14.ckpt", "cifar100-ResNet110.ckpt",
        "cifar100-ResNet14-VGG8-TS.ckpt", "cifar100-ResNet110-VGG8-TS.ckpt",
        "cifar100-ResNet14-VGG8-ATS.ckpt", "cifar100-ResNet110-VGG8-ATS.ckpt",
        "cifar100-ResNet14-best.ckpt", "cifar100-ResNet110-best.ckpt",
        "cifar100-ResNet14-VGG8-TS-best.ckpt", "cifar100-ResNet110-VGG8-TS-best.ckpt",
        "cifar100-ResNet14-VGG8-ATS-best.ckpt", "cifar100-ResNet110-VGG8-ATS-best.ckpt",
        "cifar100-ResNet14-VGG8-ATS_mindir.mindir", "cifar100-ResNet110-VGG8-ATS_mindir.mindir"])


def test_standalone_script_runs_a_config(tmp_path):
    config = tmp_path / "teacher.yaml"
    # the script's wiring is under test, not training: two steps, no graph compile
    config.write_text("dataset: digits\nn_classes: 10\nnet_name: ResNet8\nepoches: 1\nbatch_size: 128\n"
                      "print_every: 0\nckpt_name: t.ckpt\nmax_train: 256\nmax_test: 128\nmode: pynative\n")
    env = dict(os.environ, DEVICE_TARGET="CPU")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "run_standalone_train_gpu.sh"), str(config), "0",
                           "--log_name", "standalone.log"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert EPOCH_LINE.search(proc.stdout) and (tmp_path / "ckpts" / "t.ckpt").is_file()
    assert "[EPOCHS]: 1" in (tmp_path / "logs" / "standalone.log").read_text()
    missing = subprocess.run(["bash", str(ROOT / "scripts" / "run_standalone_train_gpu.sh"), "nope.yaml"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.startswith("error: CONFIG nope.yaml")
