"""Loss check over the hyper-parameter grid: loss and d loss / d student logits against the float64 reference.

Errors are scaled to the quantity: loss error |a - b| / max(|b|, 1); gradient error max|a - b| / max(max|b|, 1 / N)
(each gradient entry is O(1) / N). All cells of one class count run in one compiled graph, called once with ordinary
and once with extreme logits.
"""
import itertools
from dataclasses import dataclass

import numpy as np

from ats_ms import reference as ref

TP_TAUS = (1.0, 2.0, 4.0, 6.0)
T_TAUS = (1.0, 2.0, 3.0, 5.0)
S_TAUS = (1.0, 4.0)
LAMBS = (0.0, 0.5, 1.0)
CLASS_COUNTS = (10, 100, 1000)
LOGIT_KINDS = {"ordinary": 3.0, "extreme": 1e4}
TOLERANCES = {"float32": 1e-5, "float16": 1e-2}
BATCH = 8


@dataclass
class GroupResult:
    """One table row: a case group (kd_way, class count, logit kind) and its worst errors."""
    kd_way: str
    n_classes: int
    logits: str
    cases: int
    loss_err: float
    grad_err: float
    finite: bool
    passed: bool


def grid_cases():
    """The (kd_way, tp_tau, t_tau, s_tau, lamb) tuples of the grid (TS: tp_tau == t_tau)."""
    cases = [("ATS", tp, t, s, lamb) for tp, t, s, lamb in itertools.product(TP_TAUS, T_TAUS, S_TAUS, LAMBS)]
    cases += [("TS", t, t, s, lamb) for t, s, lamb in itertools.product(T_TAUS, S_TAUS, LAMBS)]
    return cases


def make_inputs(n_classes, kind, dtype, seed=0):
    """Student logits, teacher logits (both (BATCH, C) in ``dtype``) and int32 labels for one case group."""
    rng = np.random.default_rng(seed + n_classes)
    scale = LOGIT_KINDS[kind]
    if kind == "extreme":
        s = rng.uniform(-scale, scale, size=(BATCH, n_classes))
        z = rng.uniform(-scale, scale, size=(BATCH, n_classes))
    else:
        s = rng.normal(scale=scale, size=(BATCH, n_classes))
        z = rng.normal(scale=scale, size=(BATCH, n_classes))
    labels = rng.integers(0, n_classes, size=BATCH).astype(np.int32)
    return s.astype(dtype), z.astype(dtype), labels


def _grid_cell(cases):
    import mindspore as ms
    from mindspore import nn

    from ats_ms.losses import DistillLoss

    class LossGrid(nn.Cell):
        """Every case's (loss, grad wrt student logits) in one graph."""

        def __init__(self):
            super().__init__()
            self.members = nn.CellList([DistillLoss(*case) for case in cases])

        def construct(self, s_logits, t_logits, labels):
            out = ()
            for member in self.members:
                out = out + (ms.value_and_grad(member, grad_position=0)(s_logits, t_logits, labels),)
            return out

    return LossGrid()


def check_class_count(n_classes, dtype="float32"):
    """Run every case for one class count on the current MindSpore device; returns its GroupResults."""
    import mindspore as ms

    tol = TOLERANCES[dtype]
    cases = grid_cases()
    grid = _grid_cell(cases)
    results = []
    for kind in LOGIT_KINDS:
        s, z, labels = make_inputs(n_classes, kind, np.dtype(dtype))
        outs = grid(ms.Tensor(s), ms.Tensor(z), ms.Tensor(labels))
        s64, z64 = s.astype(np.float64), z.astype(np.float64)
        for kd_way in ("TS", "ATS"):
            rows = [(case, out) for case, out in zip(cases, outs) if case[0] == kd_way]
            loss_err = grad_err = 0.0
            finite = True
            for (_, tp, t, st, lamb), (loss, grad) in rows:
                loss, grad = float(loss.asnumpy()), grad.asnumpy().astype(np.float64)
                want = ref.distill_loss(s64, z64, labels, tp, t, st, lamb)
                want_grad = ref.distill_loss_grad(s64, z64, labels, tp, t, st, lamb)
                finite &= bool(np.isfinite(loss) and np.isfinite(grad).all())
                loss_err = max(loss_err, abs(loss - want) / max(abs(want), 1.0))
                grad_err = max(grad_err, np.abs(grad - want_grad).max() / max(np.abs(want_grad).max(), 1 / BATCH))
            results.append(GroupResult(kd_way, n_classes, kind, len(rows), loss_err, grad_err, finite,
                                       finite and loss_err <= tol and grad_err <= tol))
    return results


def _worker(setup, n_classes, dtype):
    from ats_ms.utils import device
    device.configure(*setup)
    return check_class_count(n_classes, dtype)


def run_loss_check(dtype="float32", setup=("CPU", 0, "graph"), jobs=1, progress=None):
    """Run the whole grid; returns a list of GroupResult in grid order.

    Args:
        dtype (str): ``float32`` or ``float16`` logits.
        setup (tuple): (device_target, device_id, mode), used by worker processes when ``jobs`` > 1.
        jobs (int): processes compiling class counts in parallel (1: this process, already configured).
        progress (callable | None): called with each GroupResult in order as soon as it is known.
    """
    results = []

    def collect(chunks):
        for chunk in chunks:
            for result in chunk:
                results.append(result)
                if progress:
                    progress(result)

    if jobs <= 1:
        collect(check_class_count(c, dtype) for c in CLASS_COUNTS)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_worker, setup, c, dtype) for c in CLASS_COUNTS]
        collect(f.result() for f in futures)
    return results
