"""``python -m ats_ms check --models`` end to end: a row per registered method and logit kind, every one passing,
and the network rows. One class count (``--classes 10``: each count is its own compile of every case); the parity
tests compare every method at 100 classes, and ``check`` with its defaults runs 10, 100 and 1000."""
import re

import pytest

pytestmark = pytest.mark.slow


def test_check_passes_on_cpu_with_models(cli):
    result = cli("check", "--device_target", "CPU", "--models", "--classes", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    from ats_ms.losses import KD_WAYS
    rows = [line for line in result.stdout.splitlines() if re.match(rf"^({'|'.join(KD_WAYS)})\s+\d+", line)]
    assert len(rows) == 2 * len(KD_WAYS) and all(line.endswith("PASS") for line in rows), result.stdout
    assert {line.split()[0] for line in rows} == set(KD_WAYS)  # a row for every registered method
    model_rows = [line for line in result.stdout.splitlines() if "max |logit err|" in line]
    assert len(model_rows) == 6 and all(line.endswith("PASS") for line in model_rows), result.stdout
    assert "ALL PASS" in result.stdout
