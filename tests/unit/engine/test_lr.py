"""Learning-rate recipes against hand-written versions of the official formulas."""
import numpy as np
import pytest

from ats_ms.engine.lr import demo_lr, paper_factor, paper_lr


@pytest.mark.parametrize("epoch,factor", [(0, 2e-7), (1, (1 + 1e-6) / 5), (5, (5 + 1e-6) / 5), (6, 1.0), (120, 1.0),
                                          (121, 1.0), (149, 1.0), (150, 0.1), (179, 0.1), (180, 0.01),
                                          (210, 0.001), (239, 0.001)])
def test_paper_factor(epoch, factor):
    assert paper_factor(epoch) == pytest.approx(factor, rel=1e-12)


def test_paper_lr_is_constant_within_an_epoch():
    lrs = paper_lr(0.05, 240, 3)
    assert lrs.shape == (720,) and lrs.dtype == np.float32
    assert lrs[0] == lrs[2] == np.float32(0.05 * 2e-7) and lrs[3] == np.float32(0.05 * (1 + 1e-6) / 5)
    assert lrs[-1] == np.float32(0.05 * 0.001)


def test_demo_lr_matches_the_demo_formula():
    lr, epochs, steps = 0.03, 5, 4
    want = []
    total, warm = epochs * steps, 3 * steps
    for i in range(total):
        value = 0.001 + (lr - 0.001) / warm * i if i < warm else lr * (1 - (i - warm) / (total - warm)) ** 2
        want.append(max(value, 0.0))
    np.testing.assert_allclose(demo_lr(lr, epochs, steps), want, rtol=1e-6)
    short = demo_lr(lr, 2, 4)
    assert short.shape == (8,) and np.all(np.diff(short) > 0)


def test_step_schedule_divides_by_ten_at_30_60_90_percent():
    from ats_ms.engine.lr import build_lr
    lrs = build_lr("step", 0.2, 100, 2)
    per_epoch = lrs[::2]
    assert len(lrs) == 200 and np.allclose(per_epoch[[0, 29, 30, 59, 60, 89, 90, 99]],
                                          [0.2, 0.2, 0.02, 0.02, 0.002, 0.002, 0.0002, 0.0002])
    assert np.allclose(build_lr("step", 1.0, 10, 1), [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])
