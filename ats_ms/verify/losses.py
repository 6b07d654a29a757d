"""Loss check of every registered method: loss and d loss / d student logits against its float64 numpy twin.

The rows come from the method registry: per method, the cases are the combinations of its hyper-parameters'
``check_values``; per class count and logit kind, one row with the worst errors. The reference loss is the method's
numpy forward twin in float64; the reference gradient is its central finite difference (step ``FD_STEP``), on every
entry of small inputs and on a fixed sample of entries (every label entry included) of large ones, so a new method
needs only its forward twin. Errors are scaled to the quantity: loss error |a - b| / max(|b|, 1); gradient error
max|a - b| / max(max|b|, 1 / N) (each gradient entry is O(1) / N). All cases of one class count run in one compiled
graph, called once with ordinary and once with extreme logits.
"""
import itertools
from dataclasses import dataclass

import numpy as np

from ats_ms.losses import registry

CLASS_COUNTS = (10, 100, 1000)
LOGIT_KINDS = {"ordinary": 3.0, "extreme": 1e4}
# (loss, gradient) tolerances per logit dtype; float32 gradients get 1e-4 (the parity tests' bound): the peers' T^2
# factors (CTKD's learned T is 15.6 at the start) amplify MindSpore's CPU exp/softmax rounding (about 1e-6).
TOLERANCES = {"float32": (1e-5, 1e-4), "float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2)}
BATCH = 8
FD_STEP = 1e-4
FD_ENTRIES = 64  # inputs with more entries get the gradient checked on this many (every label entry included)


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


def method_cases(method):
    """The {hyper-parameter: value} cases of ``method``: every combination of the numeric hyper-parameters'
    ``check_values`` (options at their defaults), then the defaults with each option switched."""
    names = method.hyper_names
    choices = [h.check_values or (h.default,) if h.type is not bool else (h.default,) for h in method.hyper]
    cases = [dict(zip(names, combo)) for combo in itertools.product(*choices)]
    defaults = method.defaults()
    return cases + [dict(defaults, **{h.name: not h.default}) for h in method.hyper if h.type is bool]


def grid_cases():
    """Every (kd_way, {hyper-parameter: value}) case, method by method in registry order."""
    return [(method.name, case) for method in registry.methods() for case in method_cases(method)]


def make_inputs(n_classes, kind, dtype, seed=0):
    """Student logits, teacher logits (both (BATCH, C), float32 rounded to ``dtype``: float32, float16 or bfloat16)
    and int32 labels for one case group."""
    rng = np.random.default_rng(seed + n_classes)
    scale = LOGIT_KINDS[kind]
    if kind == "extreme":
        s = rng.uniform(-scale, scale, size=(BATCH, n_classes))
        z = rng.uniform(-scale, scale, size=(BATCH, n_classes))
    else:
        s = rng.normal(scale=scale, size=(BATCH, n_classes))
        z = rng.normal(scale=scale, size=(BATCH, n_classes))
    labels = rng.integers(0, n_classes, size=BATCH).astype(np.int32)
    return _rounded(s, dtype), _rounded(z, dtype), labels


def _rounded(x, dtype):
    """``x`` rounded to ``dtype`` and held as float32 (numpy has no bfloat16: MindSpore rounds it)."""
    if str(dtype) != "bfloat16":
        return x.astype(dtype).astype(np.float32)
    import mindspore as ms
    return ms.Tensor(x.astype(np.float32)).astype(ms.bfloat16).astype(ms.float32).asnumpy()


def _tensor(x, dtype):
    import mindspore as ms
    return ms.Tensor(x).astype({"float32": ms.float32, "float16": ms.float16, "bfloat16": ms.bfloat16}[dtype])


def fd_entries(shape, labels, limit=FD_ENTRIES, seed=0):
    """The (row, column) entries whose gradient is checked: all, or ``limit`` of them with every label entry."""
    n, c = shape
    if n * c <= limit:
        return [(i, j) for i in range(n) for j in range(c)]
    chosen = {(i, int(labels[i])) for i in range(n)}
    rng = np.random.default_rng(seed)
    while len(chosen) < limit:
        chosen.add((int(rng.integers(n)), int(rng.integers(c))))
    return sorted(chosen)


def fd_gradient(twin, s, z, labels, args, entries, step=FD_STEP):
    """Central finite differences of ``twin(s, z, labels, *args)`` with respect to ``s`` on ``entries`` (float64);
    returns (N, C) with NaN elsewhere."""
    grad = np.full(s.shape, np.nan)
    for i, j in entries:
        up, down = s.copy(), s.copy()
        up[i, j] += step
        down[i, j] -= step
        grad[i, j] = (twin(up, z, labels, *args) - twin(down, z, labels, *args)) / (2 * step)
    return grad


def _grid_cell(cases):
    import mindspore as ms
    from mindspore import nn

    from ats_ms.losses import create_loss

    class LossGrid(nn.Cell):
        """Every case's (loss, grad wrt student logits) in one graph: one gradient of the cases' summed losses, each
        case on its own copy of the student logits (one differentiation instead of one per case compiles faster; the
        copies are distinct input tensors so that PyNative mode, which tracks tensors, does not add the cases'
        gradients)."""

        def __init__(self):
            super().__init__()
            self.members = nn.CellList([create_loss(kd_way, **case) for kd_way, case in cases])
            self.value_and_grad = ms.value_and_grad(self.summed, grad_position=tuple(range(len(cases))), has_aux=True)

        def summed(self, *inputs):
            n = len(self.members)
            copies, t_logits, labels = inputs[:n], inputs[n], inputs[n + 1]
            losses = ()
            total = 0.0
            for i, member in enumerate(self.members):
                loss = member(copies[i], t_logits, labels)
                losses = losses + (loss,)
                total = total + loss
            return total, losses

        def construct(self, *inputs):
            (_, losses), grads = self.value_and_grad(*inputs)
            out = ()
            for i in range(len(self.members)):
                out = out + ((losses[i], grads[i]),)
            return out

    return LossGrid()


def check_class_count(n_classes, dtype="float32", defaults_only=False):
    """Run every case (``defaults_only``: each method at its defaults) for one class count on the current MindSpore
    device; returns its GroupResults."""
    import mindspore as ms

    loss_tol, grad_tol = TOLERANCES[dtype]
    cases = [(m.name, m.defaults()) for m in registry.methods()] if defaults_only else grid_cases()
    grid = _grid_cell(cases)
    results = []
    for kind in LOGIT_KINDS:
        s, z, labels = make_inputs(n_classes, kind, dtype)
        outs = grid(*[_tensor(s, dtype) for _ in cases], _tensor(z, dtype), ms.Tensor(labels))
        s64, z64 = s.astype(np.float64), z.astype(np.float64)
        entries = fd_entries(s.shape, labels)
        rows, cols = np.array(entries).T
        for method in registry.methods():
            twin = method.twin_fn()
            rows_of = [(case, out) for (kd_way, case), out in zip(cases, outs) if kd_way == method.name]
            loss_err = grad_err = 0.0
            finite = True
            for case, (loss, grad) in rows_of:
                args = [case[name] for name in method.hyper_names]
                loss, grad = float(loss.asnumpy()), grad.astype(ms.float32).asnumpy().astype(np.float64)
                want = twin(s64, z64, labels, *args)
                want_grad = fd_gradient(twin, s64, z64, labels, args, entries)[rows, cols]
                finite &= bool(np.isfinite(loss) and np.isfinite(grad).all())
                loss_err = max(loss_err, abs(loss - want) / max(abs(want), 1.0))
                grad_err = max(grad_err, np.abs(grad[rows, cols] - want_grad).max()
                               / max(np.abs(want_grad).max(), 1 / BATCH))
            results.append(GroupResult(method.name, n_classes, kind, len(rows_of), loss_err, grad_err, finite,
                                       finite and loss_err <= loss_tol and grad_err <= grad_tol))
    return results


def _worker(setup, n_classes, dtype):
    from ats_ms.utils import device
    device.configure(*setup)
    return check_class_count(n_classes, dtype)


def run_loss_check(dtype="float32", setup=("CPU", 0, "graph"), jobs=1, progress=None):
    """Run the whole grid; returns a list of GroupResult in grid order.

    Args:
        dtype (str): ``float32``, ``float16`` or ``bfloat16`` logits.
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
