"""README's first command in small: scripts/run_demo.sh from another directory trains both teachers, the students of
each teacher as packs over two seeds, and prints the table (mean ± sample std) and a readable PNG. The small teacher
and the student are TinyNet (tests/tiny_net.py, a plugin through ATS_MS_PLUGINS): the script's path is under test,
not the networks."""
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_run_demo_script_small(tmp_path):
    env = dict(subprocess_env(tiny=True), OUT_DIR=str(tmp_path / "demo"), DATA_DIR=str(tmp_path / "nodata"))
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "run_demo.sh"), "--small", "TinyNet", "--large", "ResNet8",
                           "--student", "TinyNet", "--teacher_epochs", "1", "--student_epochs", "1",
                           "--max_train", "256", "--max_test", "128", "--seeds", "0,1"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "[demo] digits: 256 training images; teachers TinyNet and ResNet8, student TinyNet; seeds 0, 1" in out
    assert out.count("as one pack") == 4 and "[ATS from ResNet8 seed 1] [Epoch:1]" in out
    acc = r"\d+\.\d\d ± \d+\.\d\d%"
    assert re.search(rf"^TinyNet\s+\d+\.\d\d%\s+{acc}\s+{acc}( +\d\.\d{{5}}){{4}}$", out, re.M), out
    assert re.search(rf"^ResNet8\s+\d+\.\d\d%\s+{acc}", out, re.M)
    assert re.search(rf"^student TinyNet without KD: {acc}$", out, re.M)
    figure = tmp_path / "demo" / "demo.png"
    assert f"[demo] figure: {figure}" in out
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 20000
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert set(summary["students"]) == {"no KD", "TS from TinyNet", "ATS from TinyNet", "TS from ResNet8",
                                        "ATS from ResNet8"}
    ats = summary["students"]["ATS from ResNet8"]
    assert len(ats["last"]) == 2 and ats["std"] == pytest.approx(np.std(ats["last"], ddof=1))
    assert sorted(os.listdir(tmp_path / "demo" / "logs"))[0].startswith("digits-")
