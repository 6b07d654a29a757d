"""SGD with momentum on a student's parameters only (and its loss's, as CTKD's learned temperature), weight decay on
every parameter (BN included, as PyTorch)."""
from mindspore import Tensor, nn


def build_optimizer(params, lr_per_step, momentum, weight_decay):
    """nn.Momentum over ``params`` (a student's trainable parameters, and its loss's: CTKD's temperature) with a
    per-step learning-rate array.

    One parameter group carries ``weight_decay`` explicitly, so MindSpore applies it to BN gamma/beta too (its
    default filter would skip them), matching torch.optim.SGD(weight_decay=...) in the official code.
    """
    group = {"params": list(params), "weight_decay": float(weight_decay)}
    return nn.Momentum([group], learning_rate=Tensor(lr_per_step), momentum=momentum)
