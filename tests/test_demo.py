"""README's first command in small: scripts/run_demo.sh from another directory prints the table and a readable PNG."""
import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_run_demo_script_small(tmp_path):
    env = dict(os.environ, OUT_DIR=str(tmp_path / "demo"), DATA_DIR=str(tmp_path / "nodata"))
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "run_demo.sh"), "--small", "ResNet8", "--large", "ResNet14",
                           "--student", "ResNet8", "--teacher_epochs", "1", "--student_epochs", "1",
                           "--max_train", "256", "--max_test", "128"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "[demo] digits: 256 train / 128 test images" in out
    assert re.search(r"^ResNet8\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+\.\d\d%( +\d\.\d{5}){4}$", out, re.M), out
    assert re.search(r"^ResNet14\s+\d+\.\d\d%", out, re.M)
    assert "student ResNet8 without KD:" in out
    figure = tmp_path / "demo" / "demo.png"
    assert f"[demo] figure: {figure}" in out
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 20000
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert set(summary["students"]) == {"no KD", "TS from ResNet8", "ATS from ResNet8", "TS from ResNet14",
                                        "ATS from ResNet14"}
    assert sorted(os.listdir(tmp_path / "demo" / "logs"))[0].startswith("digits-")
