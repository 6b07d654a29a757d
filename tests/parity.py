"""The MindSpore side of the parity tests: every case of a test file in one compiled graph per input shape
(``ats_ms.verify.losses.loss_grid``), computed once per input and read by each case's test."""
import mindspore as ms
import numpy as np
import pytest

from ats_ms.verify.losses import loss_grid

_GRIDS, _RESULTS = {}, {}


def mindspore_results(name, cases, s, t, y):
    """[(loss, d loss / d s, [own-parameter gradients])] of ``ats_ms.create_loss`` for each (kd_way, values, epoch)
    of ``cases`` on (s, t, y), in graph mode; ``name`` keys the compiled graph (one per file and shape)."""
    key = (name, s.shape, s.tobytes(), t.tobytes(), y.tobytes())
    if key not in _RESULTS:
        if (name, s.shape) not in _GRIDS:
            _GRIDS[(name, s.shape)] = loss_grid(cases)
        outs = _GRIDS[(name, s.shape)](*[ms.Tensor(s.copy()) for _ in cases], ms.Tensor(t), ms.Tensor(y))
        _RESULTS[key] = [(float(loss.asnumpy()), grad.asnumpy(), [w.asnumpy() for w in owned])
                         for loss, grad, owned in outs]
    return _RESULTS[key]


@pytest.fixture(autouse=True)
def graph_mode():
    """Graph mode, as training runs (``python -m ats_ms check`` covers PyNative); autouse where a test file binds
    it."""
    ms.set_device("CPU")
    ms.set_context(mode=ms.GRAPH_MODE)


def inputs(n_classes, scale, batch=16, seed=0):
    """Student and teacher logits (``batch``, ``n_classes``), normal times ``scale``, float32, and int32 labels."""
    rng = np.random.default_rng(seed + n_classes)
    s = (rng.normal(size=(batch, n_classes)) * scale).astype(np.float32)
    t = (rng.normal(size=(batch, n_classes)) * scale).astype(np.float32)
    return s, t, rng.integers(0, n_classes, size=batch).astype(np.int32)
