"""Parity of the temperature peers (TTM, WTTM, NormKD, DTKD, NKD, ABKD) with their authors' code: each objective and
its gradient, ``ats_ms.create_loss`` on MindSpore (graph mode) against the PyTorch versions of
``torch_temperature_peers`` (float64; they name the authors' files and commits), for C = 100 and C = 3, logit scales 1
and 8, with and without ``logit_std``, DTKD at epochs 1, 10 and 30, ABKD in each of the authors' special cases. Loss
within 1e-5 relative, gradient within 1e-4 of its largest entry. Then each trap (docs/methods.md) where ours differs
from theirs. Needs torch (CI installs it: ATS_WITH_TORCH=1)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
ms = pytest.importorskip("mindspore")
pytestmark = pytest.mark.xdist_group("temperature_peer_parity")  # one process: its graphs compile once

import parity  # noqa: E402
import torch_temperature_peers as authors  # noqa: E402

from ats_ms.losses import registry  # noqa: E402

CASES = [("TTM", {}, 1), ("TTM", {"logit_std": True, "ttm_gamma": 0.5}, 1), ("WTTM", {}, 1),
         ("WTTM", {"logit_std": True}, 1), ("NormKD", {}, 1), ("NormKD", {"logit_std": True}, 1),
         ("DTKD", {}, 1), ("DTKD", {}, 10), ("DTKD", {}, 30), ("DTKD", {"logit_std": True}, 10),
         ("DTKD", {"dtkd_warmup": 0, "t_tau": 1.0}, 1), ("NKD", {}, 1), ("NKD", {"logit_std": True}, 1),
         ("ABKD", {}, 1), ("ABKD", {"logit_std": True}, 1), ("ABKD", {"ab_alpha": 0.0, "ab_beta": 0.0}, 1),
         ("ABKD", {"ab_alpha": 0.0, "ab_beta": 0.5}, 1), ("ABKD", {"ab_alpha": 0.5, "ab_beta": 0.0}, 1),
         ("ABKD", {"ab_alpha": 0.5, "ab_beta": -0.5}, 1)]


graph_mode = parity.graph_mode  # autouse: graph mode, as training runs
_inputs = parity.inputs


def _torch(kd_way, values, s, t, y, epoch=1, dtype=torch.float64, **extra):
    """(loss, d loss / d s) of the authors' objective, in ``dtype``."""
    s_t = torch.tensor(s, dtype=dtype, requires_grad=True)
    t_t, y_t = torch.tensor(t, dtype=dtype), torch.tensor(y, dtype=torch.int64)
    if registry.get(kd_way).uses_epoch:
        extra["epoch"] = epoch
    loss = authors.OBJECTIVES[kd_way](s_t, t_t, y_t, **values, **extra)
    loss.backward()
    return float(loss.detach()), s_t.grad.numpy()


def _mindspore(kd_way, values, s, t, y, epoch=1):
    """(loss, d loss / d s) of one objective (its own graph; the parametrised test shares one graph)."""
    loss, grad, _ = parity.mindspore_results(f"one {kd_way} {sorted(values.items())} {epoch}",
                                             [(kd_way, values, epoch)], s, t, y)[0]
    return loss, grad


def _ids(case):
    kd_way, given, epoch = case
    return "-".join([kd_way, *(f"{k}={v}" for k, v in given.items())] + ([f"epoch{epoch}"] if epoch != 1 else []))


GRID = [(kd_way, {**registry.get(kd_way).defaults(), **given}, epoch) for kd_way, given, epoch in CASES]


@pytest.mark.parametrize("n_classes", [100, 3])
@pytest.mark.parametrize("scale", [1.0, 8.0])
@pytest.mark.parametrize("case", range(len(CASES)), ids=[_ids(c) for c in CASES])
def test_temperature_peer_objective_and_gradient_equal_the_authors_code(case, n_classes, scale):
    """Every case's MindSpore side comes from one graph per class count (``parity.mindspore_results``)."""
    kd_way, values, epoch = GRID[case]
    s, t, y = _inputs(n_classes, scale)
    want_loss, want_grad = _torch(kd_way, values, s, t, y, epoch)
    loss, grad, _ = parity.mindspore_results("temperature peers", GRID, s, t, y)[case]
    assert loss == pytest.approx(want_loss, rel=1e-5)
    assert np.abs(grad - want_grad).max() <= 1e-4 * np.abs(want_grad).max()


def test_normkd_stays_finite_on_a_constant_row_where_the_authors_give_nan():
    """Their std of a constant row is 0 and they divide by it; ours floors it at 1e-6 (uniform distribution)."""
    s, t, y = _inputs(10, 1.0, batch=4)
    t[0] = 2.5
    s[1] = -1.0
    values = registry.get("NormKD").defaults()
    assert not np.isfinite(_torch("NormKD", values, s, t, y, floors=False)[0])
    loss, grad = _mindspore("NormKD", values, s, t, y)
    want_loss, want_grad = _torch("NormKD", values, s, t, y)  # theirs with our floor
    assert np.isfinite(loss) and np.isfinite(grad).all()
    assert loss == pytest.approx(want_loss, rel=1e-5) and np.abs(grad - want_grad).max() <= 1e-4 * np.abs(
        want_grad).max()


def test_dtkd_keeps_positive_temperatures_where_the_authors_divide_by_zero_or_turn_negative():
    """Row 0: m_s + m_t = 0 (theirs: 0/0, NaN); row 1: m_s < 0 < m_t (theirs: a negative student temperature).
    Ours floors each maximum at 1e-3: both temperatures positive, summing to 2T."""
    from ats_ms.losses.dtkd import dtkd_temperatures
    s, t, y = _inputs(10, 1.0, batch=4)
    s[0], t[0] = s[0] - s[0].max() - 1.0, t[0] - t[0].max() + 1.0  # maxima -1 and 1
    s[1] -= s[1].max() + 0.5
    values = registry.get("DTKD").defaults()
    assert not np.isfinite(_torch("DTKD", values, s, t, y, 30, floors=False)[0])
    s_temp, t_temp = (x.asnumpy() for x in dtkd_temperatures(ms.Tensor(s), ms.Tensor(t), 4.0))
    assert (s_temp > 0).all() and (t_temp > 0).all() and np.allclose(s_temp + t_temp, 8.0)
    loss, grad = _mindspore("DTKD", values, s, t, y, 30)
    want_loss, want_grad = _torch("DTKD", values, s, t, y, 30)  # theirs with our floor
    assert np.isfinite(loss) and np.isfinite(grad).all() and loss == pytest.approx(want_loss, rel=1e-5)
    assert np.abs(grad - want_grad).max() <= 1e-4 * np.abs(want_grad).max()


def test_nkd_with_two_classes_is_the_cross_entropy_plus_the_target_term():
    s, t, y = _inputs(2, 3.0)
    values = registry.get("NKD").defaults()
    loss, _ = _mindspore("NKD", values, s, t, y)
    p_t = np.exp(t - np.logaddexp(t[:, :1], t[:, 1:]))[np.arange(len(y)), y]
    log_q = (s - np.logaddexp(s[:, :1], s[:, 1:]))[np.arange(len(y)), y]
    ce = -log_q.mean()
    assert loss == pytest.approx(values["ce_weight"] * ce - values["kd_weight"] * (p_t * log_q).mean(), rel=1e-5)
    assert loss == pytest.approx(_torch("NKD", values, s, t, y)[0], rel=1e-5)  # theirs agrees


def test_ttm_is_exact_where_the_authors_float32_power_underflows():
    """softmax(t)^gamma of a probability below float32's range (e^-104) is 0 in theirs; ours takes softmax(gamma t).
    Half the classes 120 below the rest: e^-120 underflows, but e^-6 after the power 0.05 (12 % of p's mass)."""
    s, t, y = _inputs(100, 1.0, batch=4)
    t[:, ::2] -= 120.0
    for kd_way in ("TTM", "WTTM"):
        values = dict(registry.get(kd_way).defaults(), ttm_gamma=0.05)
        want_loss, want_grad = _torch(kd_way, values, s, t, y)
        theirs32 = _torch(kd_way, values, s, t, y, dtype=torch.float32)[0]
        loss, grad = _mindspore(kd_way, values, s, t, y)
        assert abs(theirs32 - want_loss) > 1e-3 * abs(want_loss)
        assert loss == pytest.approx(want_loss, rel=1e-5)
        assert np.abs(grad - want_grad).max() <= 1e-4 * np.abs(want_grad).max()


@pytest.mark.parametrize("gap", [0.1, 0.01, 0.001])
def test_abkd_stays_accurate_in_float32_as_the_student_nears_the_teacher(gap):
    """The divergence is O(gap^2), the authors' terms O(1): their float32 code loses digits (4 % at a gap of 0.01),
    ours keeps the float64 value to 1e-5 relative and the gradient to 1e-4 (its kd term alone, ce_weight 0; measured:
    2e-7 and 4e-6 at each gap)."""
    rng = np.random.default_rng(7)
    t = (rng.normal(size=(16, 100)) * 4).astype(np.float32)
    s = (t + gap * rng.normal(size=t.shape)).astype(np.float32)
    y = rng.integers(0, 100, 16).astype(np.int32)
    values = dict(registry.get("ABKD").defaults(), ce_weight=0.0)
    want_loss, want_grad = _torch("ABKD", values, s, t, y)
    loss, grad = _mindspore("ABKD", values, s, t, y)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    assert np.abs(grad - want_grad).max() <= 1e-4 * np.abs(want_grad).max()
    if gap <= 0.01:
        theirs32 = _torch("ABKD", values, s, t, y, dtype=torch.float32)[0]
        assert abs(theirs32 - want_loss) > 10 * abs(loss - want_loss)
