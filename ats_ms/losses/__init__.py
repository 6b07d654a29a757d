"""Distillation losses: pure functions (``functional``) and thin Cells (``ATSLoss``, ``TSLoss``, ``DistillLoss``)."""
from ats_ms.losses.functional import (asymmetric_teacher_probs, ats_kd_loss, cross_entropy, distill_loss,
                                      soft_cross_entropy)
from ats_ms.losses.kd import ATSLoss, DistillLoss, TSLoss

__all__ = ["asymmetric_teacher_probs", "soft_cross_entropy", "cross_entropy", "ats_kd_loss", "distill_loss",
           "ATSLoss", "TSLoss", "DistillLoss"]
