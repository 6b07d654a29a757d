"""The demo's exact command lines (scripts/run_teacher.sh, run_ts.sh, run_ats.sh, run_export.sh, run_eval.sh) with
EPOCHES=1 on small CIFAR-100 binary-layout files written here: epoch lines, log blocks and checkpoint names."""
import os
import re
import subprocess
from pathlib import Path

from cifar_fixtures import write_binary_layout

ROOT = Path(__file__).resolve().parents[1]
EPOCH_LINE = re.compile(r"^\[Epoch:1\] \[Loss:[\d.e+-]+\] \[TrAcc:[\d.e+-]+\] \[TeAcc:[\d.e+-]+\]$", re.M)


def _script(name, cwd):
    env = dict(os.environ, EPOCHES="1", DEVICE="CPU")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / name)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
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
    out = _script("run_teacher.sh", tmp_path)
    assert len(EPOCH_LINE.findall(out)) == 2
    assert len(_blocks(tmp_path / "logs" / "teacher.log")) == 2
    out = _script("run_ts.sh", tmp_path) + _script("run_ats.sh", tmp_path)
    assert len(EPOCH_LINE.findall(out)) == 4
    assert "net_name='VGG8'" in _blocks(tmp_path / "logs" / "student-kd-ts.log")[0]
    assert "kd_way='ATS'" in _blocks(tmp_path / "logs" / "student-kd-ats.log")[1]
    _script("run_export.sh", tmp_path)
    out = _script("run_eval.sh", tmp_path)
    assert out.count("top-1") == 6
    assert sorted(os.listdir(tmp_path / "ckpts")) == sorted([
        "cifar100-ResNet14.ckpt", "cifar100-ResNet110.ckpt",
        "cifar100-ResNet14-VGG8-TS.ckpt", "cifar100-ResNet110-VGG8-TS.ckpt",
        "cifar100-ResNet14-VGG8-ATS.ckpt", "cifar100-ResNet110-VGG8-ATS.ckpt",
        "cifar100-ResNet14-VGG8-ATS_mindir.mindir", "cifar100-ResNet110-VGG8-ATS_mindir.mindir"])
