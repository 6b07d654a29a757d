"""Loss Cells against the numpy reference in GRAPH and PYNATIVE modes, fp32 and fp16; extremes; validation."""
import numpy as np
import pytest

from ats_ms import reference as ref

mindspore = pytest.importorskip("mindspore")
ms = mindspore

from ats_ms.losses import ATSLoss, DistillLoss, TSLoss, asymmetric_teacher_probs  # noqa: E402


def _inputs(n=6, c=10, dtype=np.float32, scale=3.0, seed=0, label_dtype=np.int32):
    rng = np.random.default_rng(seed)
    s = rng.normal(scale=scale, size=(n, c)).astype(dtype)
    z = rng.normal(scale=scale, size=(n, c)).astype(dtype)
    y = rng.integers(0, c, n).astype(label_dtype)
    return s, z, y


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float16, 1e-2)])
@pytest.mark.parametrize("kd_way,tp,t,s_tau,lamb", [("ATS", 4.0, 2.0, 1.0, 0.5), ("TS", 4.0, 4.0, 4.0, 0.5),
                                                    ("ATS", 6.0, 1.0, 4.0, 1.0), ("none", 1.0, 1.0, 1.0, 0.5)])
def test_distill_loss_matches_reference(ms_mode, dtype, tol, kd_way, tp, t, s_tau, lamb):
    s, z, y = _inputs(dtype=dtype)
    cell = DistillLoss(kd_way, tp, t, s_tau, lamb)
    loss, grad = ms.value_and_grad(cell, grad_position=0)(ms.Tensor(s), ms.Tensor(z), ms.Tensor(y))
    eff_lamb = 0.0 if kd_way == "none" else lamb
    s64, z64 = s.astype(np.float64), z.astype(np.float64)
    want = ref.distill_loss(s64, z64, y, tp, t, s_tau, eff_lamb)
    want_grad = ref.distill_loss_grad(s64, z64, y, tp, t, s_tau, eff_lamb)
    assert loss.dtype == ms.float32
    assert float(loss.asnumpy()) == pytest.approx(want, rel=tol)
    np.testing.assert_allclose(grad.asnumpy().astype(np.float64), want_grad, atol=tol * np.abs(want_grad).max())


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64, np.uint32])
def test_label_dtypes(ms_mode, label_dtype):
    s, z, y = _inputs(label_dtype=label_dtype)
    loss = ATSLoss(4.0, 2.0)(ms.Tensor(s), ms.Tensor(z), ms.Tensor(y))
    assert float(loss.asnumpy()) == pytest.approx(ref.ats_kd_loss(s, z, y, 4.0, 2.0, 1.0), rel=1e-5)


def test_ts_equals_ats_with_equal_taus_exactly(ms_mode):
    s, z, y = (ms.Tensor(a) for a in _inputs())
    ts = TSLoss(3.0, 2.0)(s, z, y).asnumpy()
    ats = ATSLoss(3.0, 3.0, 2.0)(s, z, y).asnumpy()
    assert ts == ats
    total_ts = DistillLoss("TS", 9.0, 3.0, 2.0, 0.5)(s, z, y).asnumpy()
    total_ats = DistillLoss("ATS", 3.0, 3.0, 2.0, 0.5)(s, z, y).asnumpy()
    assert total_ts == total_ats


def test_teacher_logits_get_no_gradient(ms_mode):
    s, z, y = (ms.Tensor(a) for a in _inputs())
    grad_t = ms.grad(DistillLoss("ATS", 4.0, 2.0), grad_position=1)(s, z, y)
    assert not np.any(grad_t.asnumpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_extremes_are_finite(ms_mode, dtype):
    rng = np.random.default_rng(5)
    s = rng.choice([-1e4, 1e4], size=(4, 100)).astype(dtype)
    z = rng.choice([-1e4, 1e4], size=(4, 100)).astype(dtype)
    y = ms.Tensor(np.array([0, 1, 2, 3], np.int32))
    cell = DistillLoss("ATS", 0.05, 0.05, 0.05, 0.5)
    loss, grad = ms.value_and_grad(cell, grad_position=0)(ms.Tensor(s), ms.Tensor(z), y)
    assert np.isfinite(loss.asnumpy()) and np.isfinite(grad.asnumpy()).all()
    q = asymmetric_teacher_probs(ms.Tensor(z), y, 0.05, 0.05).asnumpy()
    assert np.isfinite(q).all() and np.allclose(q.sum(-1), 1.0, atol=1e-6)


@pytest.mark.parametrize("make,name", [
    (lambda: ATSLoss(0.0, 1.0), "tp_tau"), (lambda: ATSLoss(1.0, -2.0), "t_tau"),
    (lambda: ATSLoss(1.0, 1.0, float("nan")), "s_tau"), (lambda: TSLoss(float("inf")), "tau"),
    (lambda: DistillLoss("ATS", 4.0, 2.0, 1.0, 1.5), "lamb"), (lambda: DistillLoss("ATS", 4.0, 2.0, 1.0, -0.1), "lamb"),
    (lambda: DistillLoss("KL", 4.0, 2.0), "kd_way"), (lambda: DistillLoss("ATS", "4", 2.0), "tp_tau"),
])
def test_bad_hyper_parameters_raise(make, name):
    with pytest.raises(ValueError, match=name) as info:
        make()
    assert "expected" in str(info.value)


def test_public_import():
    from ats_ms import DistillLoss as Exported
    assert Exported is DistillLoss


def test_bfloat16_logits_are_computed_in_float32(ms_mode):
    s, z, y = _inputs()
    s16, z16 = (ms.Tensor(a).astype(ms.bfloat16) for a in (s, z))
    cell = DistillLoss("ATS", 4.0, 2.0, 1.0, 0.5)
    loss, grad = ms.value_and_grad(cell, grad_position=0)(s16, z16, ms.Tensor(y))
    assert loss.dtype == ms.float32 and grad.dtype == ms.bfloat16
    s_seen, z_seen = (t.astype(ms.float32).asnumpy().astype(np.float64) for t in (s16, z16))
    assert float(loss.asnumpy()) == pytest.approx(ref.distill_loss(s_seen, z_seen, y, 4.0, 2.0, 1.0, 0.5), rel=1e-5)
    want_grad = ref.distill_loss_grad(s_seen, z_seen, y, 4.0, 2.0, 1.0, 0.5)
    got = grad.astype(ms.float32).asnumpy()
    np.testing.assert_allclose(got, want_grad, atol=1e-2 * np.abs(want_grad).max())  # bfloat16 has 8 mantissa bits
