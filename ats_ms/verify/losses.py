"""Loss check of every registered method: loss and d loss / d student logits against its float64 numpy twin.

The rows come from the method registry: per method, the cases are the combinations of the ``check_values`` of its
first two hyper-parameters that have several, each other value one at a time and each option switched
(``method_cases``); per class count and logit kind, one row with the worst errors. The reference loss is the method's
numpy forward twin in float64; the reference gradient is its central finite difference (step ``FD_STEP``), on every
entry of small inputs and on a fixed sample of entries (every label entry included) of large ones, so a new method
needs only its forward twin. Errors are scaled to the quantity: loss error |a - b| / max(|b|, 1); gradient error
max|a - b| / max(max|b|, 1 / N) (each gradient entry is O(1) / N). All cases of one class count run in one compiled
graph, called once with ordinary and once with extreme logits.

A method that ``uses_epoch`` runs every case at epoch 1 and its defaults again at the other ``check_epochs`` (DKD
before, during and after its warm-up: 1, 10, 20, 40); the gradients of a Cell's own parameters (CTKD's temperature,
whose gradient is reversed by lambda(epoch): 0 to -1 over its schedule) are compared with its ``learned_twin``.
"""
import itertools
from dataclasses import dataclass

import numpy as np

from ats_ms.losses import registry

CLASS_COUNTS = (10, 100, 1000)
LOGIT_KINDS = {"ordinary": 3.0, "extreme": 1e4}
# (loss, gradient, own-parameter gradient) tolerances per logit dtype; float32 gradients get 1e-4 (the parity tests'
# bound): the peers' T^2 factors (CTKD's learned T is 15.6 at the start) amplify MindSpore's CPU exp/softmax rounding
# (about 1e-6). CTKD's temperature gradient is a difference of terms as large as the loss (1e5 with logits of 1e4):
# float32 keeps it to 5e-4 relative there, 1e-5 with ordinary logits.
TOLERANCES = {"float32": (1e-5, 1e-4, 1e-3), "float16": (1e-2, 1e-2, 2e-2), "bfloat16": (2e-2, 2e-2, 4e-2)}
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
    epochs: tuple = (1,)
    param_err: object = None  # the worst own-parameter gradient error (None: the Cell has no parameter of its own)


def method_cases(method):
    """The {hyper-parameter: value} cases of ``method``: every combination of the ``check_values`` of its first two
    numeric hyper-parameters that have several (the temperatures, for most methods), the others at their defaults;
    then each other numeric hyper-parameter's other values one at a time; then the defaults with each option
    switched. The number of cases (and of graphs compiled) grows with the values, not with their product."""
    defaults = method.defaults()
    several = [h for h in method.hyper if h.type is not bool and len(h.check_values) > 1]
    crossed = several[:2]
    cases = [dict(defaults, **dict(zip([h.name for h in crossed], combo)))
             for combo in itertools.product(*(h.check_values for h in crossed))]
    for h in several[2:]:
        cases += [dict(defaults, **{h.name: v}) for v in h.check_values]
    cases += [dict(defaults, **{h.name: not h.default}) for h in method.hyper if h.type is bool]
    unique = []
    for case in cases:
        if case not in unique:
            unique.append(case)
    return unique


def grid_cases(defaults_only=False, methods=None):
    """Every (kd_way, {hyper-parameter: value}, epoch) case, method by method in registry order (``methods``: only
    those names): each case at epoch 1, then the method's defaults at its other ``check_epochs``."""
    out = []
    for method in registry.methods():
        if methods is not None and method.name not in methods:
            continue
        defaults = method.defaults()
        out += [(method.name, case, 1) for case in ([defaults] if defaults_only else method_cases(method))]
        out += [(method.name, defaults, epoch) for epoch in method.check_epochs(defaults) if epoch != 1]
    return out


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


def fd_gradient(twin, s, z, labels, args, entries, step=FD_STEP, **keywords):
    """Central finite differences of ``twin(s, z, labels, *args, **keywords)`` with respect to ``s`` on ``entries``
    (float64); returns (N, C) with NaN elsewhere."""
    grad = np.full(s.shape, np.nan)
    for i, j in entries:
        up, down = s.copy(), s.copy()
        up[i, j] += step
        down[i, j] -= step
        grad[i, j] = (twin(up, z, labels, *args, **keywords) - twin(down, z, labels, *args, **keywords)) / (2 * step)
    return grad


def loss_grid(cases):
    """A Cell computing every case's (loss, d loss / d student logits, gradients of the case's own parameters) in one
    graph.

    Args:
        cases (list): (kd_way, {hyper-parameter: value}, epoch) per case (``grid_cases``).

    Inputs:
        One (N, C) student-logit tensor per case, then the (N, C) teacher logits and the (N,) labels.

    Outputs:
        tuple: per case (scalar loss, (N, C) gradient, tuple of own-parameter gradients).
    """
    import mindspore as ms
    from mindspore import nn

    from ats_ms.losses import create_loss

    class LossGrid(nn.Cell):
        """Every case's (loss, grad wrt student logits, grads wrt the Cell's own parameters) in one graph: one
        gradient of the cases' summed losses, each case on its own copy of the student logits (one differentiation
        instead of one per case compiles faster; the copies are distinct input tensors so that PyNative mode, which
        tracks tensors, does not add the cases' gradients)."""

        def __init__(self):
            super().__init__()
            self.members = nn.CellList([create_loss(kd_way, **case) for kd_way, case, _ in cases])
            for member, (_, _, epoch) in zip(self.members, cases):
                member.set_epoch(epoch)
            owned = [member.trainable_params() for member in self.members]
            self.owned = tuple(len(params) for params in owned)
            self.weights = ms.ParameterTuple([p for params in owned for p in params])
            self.value_and_grad = ms.value_and_grad(self.summed, grad_position=tuple(range(len(cases))),
                                                    weights=self.weights if len(self.weights) else None, has_aux=True)

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
            if len(self.weights):
                grads, weight_grads = grads
            else:
                weight_grads = ()
            if len(self.members) == 1:  # one input position: its gradient comes alone, not in a tuple
                grads = (grads,)
            out = ()
            start = 0
            for i in range(len(self.members)):
                out = out + ((losses[i], grads[i], weight_grads[start:start + self.owned[i]]),)
                start = start + self.owned[i]
            return out

    return LossGrid()


def _errors(method, case, epoch, out, s64, z64, labels, entries):
    """(loss error, gradient error, own-parameter gradient error or None, finite) of one case's (loss, student
    gradient, own parameters' gradients); the last error is relative to max(|want|, 1)."""
    import mindspore as ms
    rows, cols = np.array(entries).T
    args = [case[name] for name in method.hyper_names]
    keywords = method.epoch_keywords(epoch)
    loss, grad, owned = out
    loss, grad = float(loss.asnumpy()), grad.astype(ms.float32).asnumpy().astype(np.float64)
    want = method.twin_fn()(s64, z64, labels, *args, **keywords)
    want_grad = fd_gradient(method.twin_fn(), s64, z64, labels, args, entries, **keywords)[rows, cols]
    finite = bool(np.isfinite(loss) and np.isfinite(grad).all())
    loss_err = abs(loss - want) / max(abs(want), 1.0)
    grad_err = np.abs(grad[rows, cols] - want_grad).max() / max(np.abs(want_grad).max(), 1 / BATCH)
    learned = method.learned_twin_fn()
    param_err = None
    for got, wanted in zip(owned, learned(s64, z64, labels, *args, **keywords) if learned else ()):
        got = got.astype(ms.float32).asnumpy().astype(np.float64)
        finite &= bool(np.isfinite(got).all())
        err = float(np.abs(got - wanted).max() / max(np.abs(wanted).max(), 1.0))
        param_err = err if param_err is None else max(param_err, err)
    return loss_err, grad_err, param_err, finite


def check_class_count(n_classes, dtype="float32", defaults_only=False, methods=None):
    """Run every case (``defaults_only``: each method at its defaults, at each of its ``check_epochs``; ``methods``:
    of those names only) for one class count on the current MindSpore device; returns its GroupResults."""
    import mindspore as ms

    loss_tol, grad_tol, param_tol = TOLERANCES[dtype]
    cases = grid_cases(defaults_only, methods)
    grid = loss_grid(cases)
    results = []
    for kind in LOGIT_KINDS:
        s, z, labels = make_inputs(n_classes, kind, dtype)
        outs = grid(*[_tensor(s, dtype) for _ in cases], _tensor(z, dtype), ms.Tensor(labels))
        s64, z64 = s.astype(np.float64), z.astype(np.float64)
        entries = fd_entries(s.shape, labels)
        for method in (m for m in registry.methods() if methods is None or m.name in methods):
            mine = [(case, epoch, out) for (kd_way, case, epoch), out in zip(cases, outs) if kd_way == method.name]
            errors = [_errors(method, case, epoch, out, s64, z64, labels, entries) for case, epoch, out in mine]
            loss_err, grad_err = max(e[0] for e in errors), max(e[1] for e in errors)
            params = [e[2] for e in errors if e[2] is not None]
            param_err = max(params) if params else None
            finite = all(e[3] for e in errors)
            passed = finite and loss_err <= loss_tol and grad_err <= grad_tol and (param_err or 0.0) <= param_tol
            results.append(GroupResult(method.name, n_classes, kind, len(mine), loss_err, grad_err, finite, passed,
                                       tuple(sorted({epoch for _, epoch, _ in mine})), param_err))
    return results


def _worker(setup, n_classes, dtype, plugins=()):
    from ats_ms.plugins import load_plugins
    from ats_ms.utils import device
    load_plugins(plugins, environ={}, entry_points=False)  # the parent's plugins: their methods have rows too
    device.configure(*setup)
    return check_class_count(n_classes, dtype)


def run_loss_check(dtype="float32", setup=("CPU", 0, "graph"), jobs=1, progress=None, class_counts=CLASS_COUNTS):
    """Run the whole grid for each of ``class_counts``; returns a list of GroupResult in grid order.

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
        collect(check_class_count(c, dtype) for c in class_counts)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        from ats_ms.plugins import loaded_modules
        futures = [pool.submit(_worker, setup, c, dtype, loaded_modules()) for c in class_counts]
        collect(f.result() for f in futures)
    return results
