"""``python -m ats_ms check`` on CPU: every row PASS and exit status 0 (slow: it compiles the whole loss grid)."""
import re

import pytest


@pytest.mark.slow
def test_check_passes_on_cpu_with_models(cli):
    result = cli("check", "--device_target", "CPU", "--models")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if re.match(r"^(TS|ATS)\s+\d+", line)]
    assert len(rows) == 12 and all(line.endswith("PASS") for line in rows), result.stdout
    model_rows = [line for line in result.stdout.splitlines() if "max |logit err|" in line]
    assert len(model_rows) == 6 and all(line.endswith("PASS") for line in model_rows), result.stdout
    assert "ALL PASS" in result.stdout


def test_check_rejects_bad_flag(cli):
    result = cli("check", "--dtype", "float64")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "float64" in result.stderr
