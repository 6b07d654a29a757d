"""Numpy twins of ``ats_ms.losses.functional`` (same names, same argument order) plus the analytic gradient.

Formulas (Li et al., NeurIPS 2022; both official codes):
    q = softmax(z / tau),   tau_c = tp_tau if c == y else t_tau
    L = (1 - lamb) * CE(s, y) + lamb * s_tau^2 * mean_n(-sum_c q_c log_softmax(s / s_tau)_c)
    dL/ds = (1 - lamb) * (softmax(s) - onehot(y)) / N + lamb * s_tau * (softmax(s / s_tau) - q) / N
"""
import numpy as np


def _as_float(x):
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def label_mask(labels, n_classes):
    """(N, C) one-hot mask of ``labels`` (N,) in the dtype float64."""
    labels = np.asarray(labels).astype(np.int64)
    return (labels[:, None] == np.arange(n_classes)[None, :]).astype(np.float64)


def softmax(x, axis=-1):
    """Numerically stable softmax along ``axis``."""
    x = _as_float(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """Numerically stable log-softmax along ``axis``."""
    x = _as_float(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def asymmetric_teacher_probs(t_logits, labels, tp_tau, t_tau):
    """(N, C) ATS teacher distribution: softmax of z / tau, tau = tp_tau on the label column, t_tau elsewhere."""
    z = _as_float(t_logits)
    mask = label_mask(labels, z.shape[-1]).astype(z.dtype)
    inv_tau = mask * (1.0 / tp_tau) + (1.0 - mask) * (1.0 / t_tau)
    return softmax(z * inv_tau)


def soft_cross_entropy(s_logits, target_probs, s_tau):
    """Scalar: batch mean of -sum_c q_c log_softmax(s / s_tau)_c."""
    return float(-(np.asarray(target_probs) * log_softmax(_as_float(s_logits) / s_tau)).sum(-1).mean())


def cross_entropy(s_logits, labels):
    """Scalar: batch mean of -log softmax(s)_y."""
    s = _as_float(s_logits)
    return float(-(label_mask(labels, s.shape[-1]) * log_softmax(s)).sum(-1).mean())


def ats_kd_loss(s_logits, t_logits, labels, tp_tau, t_tau, s_tau):
    """Scalar KD term: s_tau^2 * soft_cross_entropy(s, asymmetric_teacher_probs(z, y, tp_tau, t_tau), s_tau)."""
    q = asymmetric_teacher_probs(t_logits, labels, tp_tau, t_tau)
    return s_tau * s_tau * soft_cross_entropy(s_logits, q, s_tau)


def distill_loss(s_logits, t_logits, labels, tp_tau, t_tau, s_tau, lamb):
    """Scalar total: (1 - lamb) * CE(s, y) + lamb * s_tau^2 * soft CE."""
    return ((1.0 - lamb) * cross_entropy(s_logits, labels)
            + lamb * ats_kd_loss(s_logits, t_logits, labels, tp_tau, t_tau, s_tau))


def distill_loss_grad(s_logits, t_logits, labels, tp_tau, t_tau, s_tau, lamb):
    """(N, C) analytic gradient of ``distill_loss`` with respect to the student logits."""
    s = _as_float(s_logits)
    n, c = s.shape
    q = asymmetric_teacher_probs(t_logits, labels, tp_tau, t_tau)
    ce_grad = softmax(s) - label_mask(labels, c)
    kd_grad = s_tau * (softmax(s / s_tau) - q)
    return ((1.0 - lamb) * ce_grad + lamb * kd_grad) / n


def standardize(logits):
    """(N, C) rows z-scored over their classes with the unbiased std plus 1e-7 (logit standardisation)."""
    z = _as_float(logits)
    centred = z - z.mean(-1, keepdims=True)
    return centred / (z.std(-1, ddof=1, keepdims=True) + 1e-7)


def standardize_both(s_logits, t_logits, logit_std):
    """(student, teacher) logits, both standardised when ``logit_std``."""
    return (standardize(s_logits), standardize(t_logits)) if logit_std else (_as_float(s_logits), _as_float(t_logits))


def ats_objective(s_logits, t_logits, labels, tp_tau, t_tau, s_tau, lamb, logit_std=False):
    """Scalar ATS method: ``distill_loss`` with the KD term on standardised logits when ``logit_std``."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    return (1.0 - lamb) * cross_entropy(s_logits, labels) + lamb * ats_kd_loss(s_kd, t_kd, labels, tp_tau, t_tau,
                                                                                 s_tau)


def ts_objective(s_logits, t_logits, labels, t_tau, s_tau, lamb, logit_std=False):
    """Scalar TS method: ``ats_objective`` with ``t_tau`` on every class."""
    return ats_objective(s_logits, t_logits, labels, t_tau, t_tau, s_tau, lamb, logit_std)


def ce_objective(s_logits, t_logits, labels):
    """Scalar objective of kd_way none: the cross-entropy alone (``t_logits`` unread)."""
    return cross_entropy(s_logits, labels)
