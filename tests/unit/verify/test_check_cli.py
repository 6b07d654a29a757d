"""The ``check`` rows without the command's whole grid: a bad flag is one error line; every method at its defaults on
float16 and bfloat16 logits; the epoch-dependent methods across their schedules. The command end to end:
tests/e2e/test_check_command.py."""
import pytest


def test_check_rejects_bad_flag(cli):
    result = cli("check", "--dtype", "float64")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "float64" in result.stderr


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_check_rows_pass_in_pynative_mode_with_half_precision_logits(dtype):
    """Every method at its defaults, 10 classes, op by op, on float16 and bfloat16 logits (their tolerances)."""
    import mindspore as ms

    from ats_ms.losses import KD_WAYS
    from ats_ms.utils import device
    from ats_ms.verify.losses import check_class_count
    device.configure("CPU", 0, "pynative", 0)
    try:
        results = check_class_count(10, dtype, defaults_only=True)
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)
    assert [r.kd_way for r in results] == list(KD_WAYS) * 2
    assert all(r.passed and r.finite for r in results), [r for r in results if not r.passed]


def test_check_runs_epoch_dependent_methods_across_their_schedules_and_catches_a_wrong_lambda(monkeypatch):
    """DKD before (1), during (10) and after (20, 40) its warm-up; CTKD at the start, middle and end of its lambda
    schedule and after it (1, 5, 10, 20), where its temperature's gradient is compared too: a stuck lambda fails."""
    import mindspore as ms

    import ats_ms.losses.ctkd
    from ats_ms.losses import registry
    from ats_ms.utils import device
    from ats_ms.verify.losses import check_class_count, grid_cases
    epochs = {}
    for kd_way, _, epoch in grid_cases():
        epochs.setdefault(kd_way, set()).add(epoch)
    assert epochs["DKD"] == {1, 10, 20, 40} and epochs["CTKD"] == {1, 5, 10, 20} and epochs["ATS"] == {1}
    device.configure("CPU", 0, "pynative", 0)
    by_epoch = [m.name for m in registry.methods() if m.uses_epoch]  # every other method's rows: the tests above
    try:
        rows = {r.kd_way: r for r in check_class_count(10, defaults_only=True, methods=by_epoch)}
        assert set(rows) == set(by_epoch) and all(r.passed for r in rows.values()), rows
        assert rows["CTKD"].epochs == (1, 5, 10, 20)
        monkeypatch.setattr(ats_ms.losses.ctkd, "reversal_factor", lambda epoch, decay: epoch * 0.0 - 1.0)
        rows = {r.kd_way: r for r in check_class_count(10, defaults_only=True, methods=("DKD", "CTKD"))}
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)
    assert not rows["CTKD"].passed and rows["CTKD"].param_err > 0.5 and rows["DKD"].passed
