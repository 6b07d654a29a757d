"""Numpy reference of the losses, the paper's statistics and the backbones' inference; never imports mindspore.

The functions mirror ``ats_ms.losses.functional`` name for name and argument for argument, and compute in float64
unless given float32 arrays, so they can judge any device's kernels.
"""
from ats_ms.reference.losses import (
                                     asymmetric_teacher_probs,
                                     ats_kd_loss,
                                     ce_objective,
                                     cross_entropy,
                                     distill_loss,
                                     distill_loss_grad,
                                     label_mask,
                                     log_softmax,
                                     soft_cross_entropy,
                                     softmax,
                                     ts_objective,
)
from ats_ms.reference.stats import kd_decomposition, wrong_class_stats

__all__ = ["label_mask", "softmax", "log_softmax", "asymmetric_teacher_probs", "soft_cross_entropy",
           "cross_entropy", "ats_kd_loss", "distill_loss", "ts_objective", "ce_objective", "distill_loss_grad",
           "wrong_class_stats", "kd_decomposition"]
