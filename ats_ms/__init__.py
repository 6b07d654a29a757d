"""ats_ms: Asymmetric Temperature Scaling knowledge distillation (Li et al., NeurIPS 2022) for MindSpore.

Public API (imported lazily, so ``ats_ms.reference`` stays free of mindspore and nothing touches the MindSpore context
at import time): ``make_config``, ``train``, ``train_pack`` (the API under the command line), ``create_loss`` (any
method's objective as a Cell), ``DistillLoss``,
``ATSLoss``, ``TSLoss``, ``create_model``, ``list_models``.
"""
import importlib

__version__ = "0.2.0"

_LAZY = {
    "make_config": "ats_ms.config.make", "train": "ats_ms.api", "train_pack": "ats_ms.api",
    "DistillLoss": "ats_ms.losses", "create_loss": "ats_ms.losses", "ATSLoss": "ats_ms.losses",
    "TSLoss": "ats_ms.losses",
    "create_model": "ats_ms.models", "list_models": "ats_ms.models",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ats_ms' has no attribute {name!r}")


__all__ = list(_LAZY) + ["__version__"]
