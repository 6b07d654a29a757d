"""Learning-rate recipes as per-step arrays (MindSpore dynamic learning rate, indexed by the optimizer's global step).

``paper``: the official PyTorch schedule (LambdaLR stepped once per epoch), for epoch t = 0, 1, ...:
    factor(t) = (t + 1e-6) / 5   if t <= 5      (so the first epoch runs at 2e-7 of lr)
              = 1.0              if t <= 120
              = 0.1 ** floor((t - 120) / 30) otherwise
``demo``: the official MindSpore demo's per-step schedule: linear warm-up from 0.001 over 3 epochs, then
    lr * (1 - progress) ** 2 over the remaining steps.
``step``: the ImageNet recipe of torchvision and mdistiller, scaled to the run: lr, divided by 10 after 30 %, 60 % and
    90 % of the epochs (100 epochs: at 30, 60 and 90), constant within each epoch.
"""
import math

import numpy as np

STEP_MILESTONES = (0.3, 0.6, 0.9)


def paper_factor(epoch, warmup=5, plateau_end=120, step=30):
    """Multiplier of the base lr in ``epoch`` (0-based) under the official PyTorch WSKDLR schedule."""
    if epoch <= warmup:
        return (epoch + 1e-6) / warmup
    if epoch <= plateau_end:
        return 1.0
    return 0.1 ** math.floor((epoch - plateau_end) / step)


def paper_lr(lr, epochs, steps_per_epoch):
    """(epochs * steps_per_epoch,) float32: the paper schedule, constant within each epoch."""
    per_epoch = np.array([lr * paper_factor(t) for t in range(epochs)], dtype=np.float64)
    return np.repeat(per_epoch, steps_per_epoch).astype(np.float32)


def demo_lr(lr, epochs, steps_per_epoch, lr_init=0.001, warmup_epochs=3):
    """(epochs * steps_per_epoch,) float32: the demo's warm-up + quadratic decay, per step."""
    total, warmup = epochs * steps_per_epoch, warmup_epochs * steps_per_epoch
    steps = np.arange(total, dtype=np.float64)
    inc = (lr - lr_init) / warmup if warmup else 0.0
    decay_span = max(total - warmup, 1)
    out = np.where(steps < warmup, lr_init + inc * steps, lr * (1.0 - (steps - warmup) / decay_span) ** 2)
    return np.maximum(out, 0.0).astype(np.float32)


def step_lr(lr, epochs, steps_per_epoch):
    """(epochs * steps_per_epoch,) float32: lr x 0.1 per milestone (``STEP_MILESTONES`` of the epochs) passed."""
    milestones = [round(m * epochs) for m in STEP_MILESTONES]
    per_epoch = np.array([lr * 0.1 ** sum(t >= m for m in milestones) for t in range(epochs)], dtype=np.float64)
    return np.repeat(per_epoch, steps_per_epoch).astype(np.float32)


RECIPES = {"paper": paper_lr, "demo": demo_lr, "step": step_lr}  # one per ats_ms.config.allowed.SCHEDULES


def build_lr(schedule, lr, epochs, steps_per_epoch):
    """Per-step learning rates of ``schedule`` (a key of ``RECIPES``)."""
    return RECIPES[schedule](lr, epochs, steps_per_epoch)
