"""The MindSpore side of the parity tests: every case of a test file in one compiled graph per input shape
(``ats_ms.verify.losses.loss_grid``), computed once per input and read by each case's test."""
import mindspore as ms

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
