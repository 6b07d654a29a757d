"""Numpy reference: golden values worked out by hand, finite-difference gradients, statistics' closed forms."""
import math
import subprocess
import sys

import numpy as np
import pytest

from ats_ms import reference as ref

# Hand-worked case, C = 3. Teacher z = [2, 0, 0], label 0, tp_tau = 2, t_tau = 1: z / tau = [1, 0, 0], so
# q = [e, 1, 1] / (e + 2). Student s = [1, 0, 0]: log_softmax(s) = s - ln(e + 2).
#   CE = ln(e + 2) - 1;  soft CE = ln(e + 2) - q_0;  with s_tau = 2: log_softmax(s / 2) = s / 2 - ln(e^0.5 + 2).
Z = np.array([[2.0, 0.0, 0.0]])
S = np.array([[1.0, 0.0, 0.0]])
Y = np.array([0])
GOLDEN = {
    "q0": 0.5761168847658291,          # e / (e + 2)
    "q1": 0.21194155761708547,         # 1 / (e + 2)
    "ce": 0.5514447139320509,          # ln(e + 2) - 1
    "soft_ce": 0.9753278291662217,     # ln(e + 2) - q0
    "total_half": 0.7633862715491363,  # 0.5 * ce + 0.5 * soft_ce
    "kd_s_tau2": 4.025273308138915,    # 4 * (ln(e^0.5 + 2) - 0.5 * q0)
    "total_quarter_s_tau2": 1.419901862483767,  # 0.75 * ce + 0.25 * kd_s_tau2
}


def test_reference_never_imports_mindspore():
    code = "import sys, ats_ms.reference; assert 'mindspore' not in sys.modules, 'mindspore imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_teacher_probs_golden():
    q = ref.asymmetric_teacher_probs(Z, Y, 2.0, 1.0)
    np.testing.assert_allclose(q, [[GOLDEN["q0"], GOLDEN["q1"], GOLDEN["q1"]]], rtol=1e-14)


def test_losses_golden():
    q = ref.asymmetric_teacher_probs(Z, Y, 2.0, 1.0)
    assert ref.cross_entropy(S, Y) == pytest.approx(GOLDEN["ce"], rel=1e-14)
    assert ref.soft_cross_entropy(S, q, 1.0) == pytest.approx(GOLDEN["soft_ce"], rel=1e-14)
    assert ref.distill_loss(S, Z, Y, 2.0, 1.0, 1.0, 0.5) == pytest.approx(GOLDEN["total_half"], rel=1e-14)
    assert ref.ats_kd_loss(S, Z, Y, 2.0, 1.0, 2.0) == pytest.approx(GOLDEN["kd_s_tau2"], rel=1e-14)
    assert ref.distill_loss(S, Z, Y, 2.0, 1.0, 2.0, 0.25) == pytest.approx(GOLDEN["total_quarter_s_tau2"], rel=1e-14)


def test_ts_is_ats_with_equal_taus():
    rng = np.random.default_rng(1)
    s, z = rng.normal(size=(2, 5, 7))
    y = rng.integers(0, 7, 5)
    q_ats = ref.asymmetric_teacher_probs(z, y, 3.0, 3.0)
    np.testing.assert_array_equal(q_ats, ref.softmax(z * (1.0 / 3.0)))


@pytest.mark.parametrize("lamb,s_tau,taus", [(0.5, 1.0, (4.0, 2.0)), (1.0, 4.0, (1.0, 5.0)), (0.0, 2.0, (6.0, 3.0))])
def test_gradient_matches_finite_differences(lamb, s_tau, taus):
    rng = np.random.default_rng(2)
    s, z = rng.normal(scale=2.0, size=(2, 4, 6))
    y = rng.integers(0, 6, 4)
    grad = ref.distill_loss_grad(s, z, y, *taus, s_tau, lamb)
    eps = 1e-6
    numeric = np.zeros_like(s)
    for idx in np.ndindex(*s.shape):
        plus, minus = s.copy(), s.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (ref.distill_loss(plus, z, y, *taus, s_tau, lamb)
                        - ref.distill_loss(minus, z, y, *taus, s_tau, lamb)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_wrong_class_stats_golden():
    q = np.array([[GOLDEN["q0"], GOLDEN["q1"], GOLDEN["q1"]]] * 2)
    stats = ref.wrong_class_stats(q, np.array([0, 1]))
    np.testing.assert_allclose(stats["e"], [GOLDEN["q1"], 0.3940292211914573], rtol=1e-14)
    np.testing.assert_allclose(stats["sigma"], [0.0, 0.18208766357437184], atol=1e-15)
    np.testing.assert_allclose(stats["var"], [0.0, 0.03315591722597362], atol=1e-15)
    assert stats["sigma_mean"] == pytest.approx(0.18208766357437184 / 2, rel=1e-14)


def test_wrong_class_stats_closed_forms():
    rng = np.random.default_rng(3)
    z = rng.normal(scale=4.0, size=(50, 10))
    y = rng.integers(0, 10, 50)
    tp, t = 4.0, 2.0
    q = ref.asymmetric_teacher_probs(z, y, tp, t)
    stats = ref.wrong_class_stats(q, y)
    q_y = q[np.arange(50), y]
    np.testing.assert_allclose(stats["e"], (1 - q_y) / 9, rtol=1e-12)
    others = np.stack([np.delete(z[i], y[i]) for i in range(50)])
    expected_sigma = (1 - q_y) * ref.softmax(others / t).std(axis=1)
    np.testing.assert_allclose(stats["sigma"], expected_sigma, rtol=1e-10)


def test_decomposition_sums_to_soft_cross_entropy():
    rng = np.random.default_rng(4)
    z, s = rng.normal(scale=3.0, size=(2, 20, 8))
    y = rng.integers(0, 8, 20)
    q = ref.asymmetric_teacher_probs(z, y, 3.0, 1.5)
    parts = ref.kd_decomposition(q, y, ref.softmax(s))
    assert parts["total"] == pytest.approx(ref.soft_cross_entropy(s, q, 1.0), rel=1e-12)
    uniform = ref.kd_decomposition(q, y, np.full((20, 8), 1 / 8))
    assert uniform["class_discriminability"] == pytest.approx(0.0, abs=1e-12)
    assert uniform["total"] == pytest.approx(math.log(8), rel=1e-12)
