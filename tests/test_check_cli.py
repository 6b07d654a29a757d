"""``python -m ats_ms check`` on CPU: every row PASS and exit status 0."""
import re

from conftest import run_cli


def test_check_passes_on_cpu_with_models():
    proc = run_cli("check", "--device_target", "CPU", "--models")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line for line in proc.stdout.splitlines() if re.match(r"^(TS|ATS)\s+\d+", line)]
    assert len(rows) == 12 and all(line.endswith("PASS") for line in rows), proc.stdout
    model_rows = [line for line in proc.stdout.splitlines() if "max |logit err|" in line]
    assert len(model_rows) == 6 and all(line.endswith("PASS") for line in model_rows), proc.stdout
    assert "ALL PASS" in proc.stdout


def test_check_rejects_bad_flag():
    proc = run_cli("check", "--dtype", "float64")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "float64" in proc.stderr
