"""Distillation methods: the registry (``registry``: how a ``kd_way`` is described and registered), the built-in
entries (``catalogue``), pure functions (``functional`` and one module per method), the method Cells (``objective``,
``ats``) and ``create_loss``.

``KD_WAYS`` (the allowed ``kd_way`` values) is the registry's names when read (a method registered later is in it),
without importing MindSpore; everything else is imported on first use.
"""
import importlib

from ats_ms.losses.registry import create_loss, names

_LAZY = {
    "asymmetric_teacher_probs": "functional", "soft_cross_entropy": "functional", "cross_entropy": "functional",
    "ats_kd_loss": "functional", "distill_loss": "functional", "standardize": "standardize",
    "ATSLoss": "ats", "TSLoss": "ats", "DistillLoss": "ats", "Objective": "objective",
}


def __getattr__(name):
    if name == "KD_WAYS":
        return names()
    if name in _LAZY:
        return getattr(importlib.import_module(f"ats_ms.losses.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ats_ms.losses' has no attribute {name!r}")


__all__ = list(_LAZY) + ["KD_WAYS", "create_loss"]
