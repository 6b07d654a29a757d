"""Student initialisation: the network's own, or the official distillation script's ``weights_init``.

The official PyTorch distillation script (train_distill_ats.py) re-initialises the student with ``weights_init``:
convolutions Kaiming normal (fan_out, relu) with zero bias, BatchNorm weight 1 and bias 0, linear layers Kaiming
normal (fan_in, gain sqrt(2)) with zero bias. ``auto`` applies it to distillation students under the paper recipe
(``--lr_schedule paper``, a method that reads the teacher) and keeps the network's own initialisation otherwise (as
the official classification script, which a kd_way none student matches).
"""
STUDENT_INITS = ("auto", "network", "weights_init")


def effective_init(student_init, distills, lr_schedule):
    """``network`` or ``weights_init``: what ``student_init`` means for a run that ``distills`` from a teacher (or
    not) with ``lr_schedule``."""
    if student_init != "auto":
        return student_init
    return "weights_init" if distills and lr_schedule == "paper" else "network"


def official_weights_init(net):
    """Re-initialise ``net`` in place as the official distillation script's ``weights_init``; returns ``net``."""
    import numpy as np
    from mindspore import Tensor, nn
    from mindspore.common.initializer import HeNormal, initializer

    def zeros(param):
        param.set_data(Tensor(np.zeros(param.shape, np.float32)))

    for _, cell in net.cells_and_names():
        if isinstance(cell, nn.Conv2d):
            cell.weight.set_data(initializer(HeNormal(mode="fan_out", nonlinearity="relu"), cell.weight.shape))
            if cell.has_bias:
                zeros(cell.bias)
        elif isinstance(cell, nn.BatchNorm2d):
            cell.gamma.set_data(Tensor(np.ones(cell.gamma.shape, np.float32)))
            zeros(cell.beta)
        elif isinstance(cell, nn.Dense):
            cell.weight.set_data(initializer(HeNormal(mode="fan_in", nonlinearity="leaky_relu"), cell.weight.shape))
            if cell.has_bias:
                zeros(cell.bias)
    return net
