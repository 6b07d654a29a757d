"""Distillation losses: pure functions (``functional``) and thin Cells (``ATSLoss``, ``TSLoss``, ``DistillLoss``).

``KD_WAYS`` (the allowed ``kd_way`` values) is defined here, without importing MindSpore; everything else is
imported on first use.
"""
import importlib

KD_WAYS = ("ATS", "TS", "none")

_LAZY = {
    "asymmetric_teacher_probs": "functional", "soft_cross_entropy": "functional", "cross_entropy": "functional",
    "ats_kd_loss": "functional", "distill_loss": "functional",
    "ATSLoss": "kd", "TSLoss": "kd", "DistillLoss": "kd",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"ats_ms.losses.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ats_ms.losses' has no attribute {name!r}")


__all__ = list(_LAZY) + ["KD_WAYS"]
