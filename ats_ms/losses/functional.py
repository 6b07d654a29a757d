r"""Pure MindSpore maths of temperature-scaled knowledge distillation (graph-safe, no state).

Asymmetric Temperature Scaling (ATS), Li et al., "Asymmetric Temperature Scaling Makes Larger Networks Teach Well
Again", NeurIPS 2022 (arXiv 2210.04427). For teacher logits z, label y and temperatures tau_1 (``tp_tau``, the label
column) and tau_2 (``t_tau``, every other column):

.. math::
    q_c = \frac{\exp(z_c / \tau_c)}{\sum_j \exp(z_j / \tau_j)}, \qquad
    \tau_c = \tau_1 \text{ if } c = y \text{ else } \tau_2

Plain temperature scaling (TS) is the case tau_1 == tau_2. The loss both official codes optimise is the soft
cross-entropy (not the KL divergence; same gradient, different value):

.. math::
    L = (1 - \lambda)\, CE(s, y)
        + \lambda\, \tau_s^2\, \frac{1}{N}\sum_n -\sum_c q_{nc} \log\mathrm{softmax}(s_n/\tau_s)_c

The KL helpers the peer methods share (``kl_batchmean``, ``kl_from_logits``: KD, DKD, CTKD) live here too.

Every function computes in float32 whatever the input dtype (float16/bfloat16 logits are cast), subtracts the row
maximum inside softmax/log_softmax, and so stays finite for logits up to 1e4 and temperatures down to 0.05. The numpy
twins in ``ats_ms.reference.losses`` carry the same names and argument order.
"""
import math

import mindspore as ms
from mindspore import ops

from ats_ms.losses.standardize import standardize_both


def as_float32(x):
    """``x`` cast to float32 (the objectives compute in float32 whatever the logits' dtype)."""
    return ops.cast(x, ms.float32)


def label_mask(labels, n_classes):
    """One-hot float32 mask of the label column.

    Args:
        labels (Tensor): (N,) int32, int64 or uint32 class indices.
        n_classes (int): number of columns C.

    Returns:
        Tensor: (N, C) float32 with 1.0 at (n, labels[n]) and 0.0 elsewhere.
    """
    return ops.one_hot(ops.cast(labels, ms.int32), n_classes,
                       ms.Tensor(1.0, ms.float32), ms.Tensor(0.0, ms.float32))


def asymmetric_teacher_probs(t_logits, labels, tp_tau, t_tau):
    """ATS teacher distribution: softmax of z / tau(y), tau = ``tp_tau`` on the label column, ``t_tau`` elsewhere.

    Args:
        t_logits (Tensor): (N, C) teacher logits, any float dtype; gradient is stopped.
        labels (Tensor): (N,) ground-truth labels (int32, int64 or uint32).
        tp_tau (float): temperature of the label column (tau_1).
        t_tau (float): temperature of the other columns (tau_2).

    Returns:
        Tensor: (N, C) float32 probabilities, rows sum to 1.
    """
    z = ops.stop_gradient(as_float32(t_logits))
    mask = label_mask(labels, z.shape[-1])
    inv_tau = mask * (1.0 / tp_tau) + (1.0 - mask) * (1.0 / t_tau)
    return ops.softmax(z * inv_tau, axis=-1)


def soft_cross_entropy(s_logits, target_probs, s_tau):
    """Batch mean of -sum_c q_c log_softmax(s / s_tau)_c.

    Args:
        s_logits (Tensor): (N, C) student logits, any float dtype.
        target_probs (Tensor): (N, C) target distribution q (rows sum to 1).
        s_tau (float): student temperature.

    Returns:
        Tensor: scalar float32.
    """
    log_p = ops.log_softmax(as_float32(s_logits) * (1.0 / s_tau), axis=-1)
    return -(as_float32(target_probs) * log_p).sum(axis=-1).mean()


def cross_entropy(s_logits, labels):
    """Batch mean of the ordinary cross-entropy -log softmax(s)_y.

    Args:
        s_logits (Tensor): (N, C) student logits, any float dtype.
        labels (Tensor): (N,) labels (int32, int64 or uint32).

    Returns:
        Tensor: scalar float32.
    """
    mask = label_mask(labels, s_logits.shape[-1])
    return -(mask * ops.log_softmax(as_float32(s_logits), axis=-1)).sum(axis=-1).mean()


def ats_kd_loss(s_logits, t_logits, labels, tp_tau, t_tau, s_tau):
    """The KD term s_tau^2 * soft_cross_entropy(s, asymmetric_teacher_probs(z, y, tp_tau, t_tau), s_tau).

    Args:
        s_logits (Tensor): (N, C) student logits.
        t_logits (Tensor): (N, C) teacher logits (no gradient flows into them).
        labels (Tensor): (N,) labels.
        tp_tau, t_tau, s_tau (float): temperatures.

    Returns:
        Tensor: scalar float32.
    """
    q = asymmetric_teacher_probs(t_logits, labels, tp_tau, t_tau)
    return (s_tau * s_tau) * soft_cross_entropy(s_logits, q, s_tau)


def distill_loss(s_logits, t_logits, labels, tp_tau, t_tau, s_tau, lamb):
    """Total objective (1 - lamb) * CE(s, y) + lamb * s_tau^2 * soft CE, as the official codes optimise it.

    Args:
        s_logits (Tensor): (N, C) student logits.
        t_logits (Tensor): (N, C) teacher logits (no gradient flows into them).
        labels (Tensor): (N,) labels.
        tp_tau, t_tau, s_tau (float): temperatures (TS: tp_tau == t_tau).
        lamb (float): weight of the KD term in [0, 1].

    Returns:
        Tensor: scalar float32.
    """
    s_logits = as_float32(s_logits)  # one cast: both terms' gradients meet in float32 (bfloat16 AddN has no CPU kernel)
    ce = cross_entropy(s_logits, labels)
    kd = ats_kd_loss(s_logits, t_logits, labels, tp_tau, t_tau, s_tau)
    return (1.0 - lamb) * ce + lamb * kd


def kd_inputs(s_logits, t_logits, logit_std):
    """The logits a method's terms read: (student logits in float32 for the cross-entropy, student and teacher logits
    for the KD term: in float32, the teacher's without gradient, both standardised when ``logit_std``).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; logit_std (bool).

    Returns:
        tuple[Tensor, Tensor, Tensor]: three (N, C) float32 tensors.
    """
    s_logits = as_float32(s_logits)
    s_kd, t_kd = standardize_both(s_logits, ops.stop_gradient(as_float32(t_logits)), logit_std)
    return s_logits, s_kd, t_kd


def ats_objective(s_logits, t_logits, labels, tp_tau, t_tau, s_tau, lamb, logit_std=False):
    """The ATS method: ``distill_loss``, with the KD term on standardised logits when ``logit_std`` (ours: the
    logit standardisation of Sun et al. applied to ATS; the cross-entropy keeps the raw logits).

    Args:
        s_logits, t_logits (Tensor): (N, C) student and teacher logits (no gradient flows into the teacher's).
        labels (Tensor): (N,) labels.
        tp_tau, t_tau, s_tau (float): temperatures; lamb (float): weight of the KD term; logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return (1.0 - lamb) * cross_entropy(s_logits, labels) + lamb * ats_kd_loss(s_kd, t_kd, labels, tp_tau, t_tau,
                                                                                 s_tau)


def ts_objective(s_logits, t_logits, labels, t_tau, s_tau, lamb, logit_std=False):
    """The TS method: ``ats_objective`` with one teacher temperature ``t_tau`` on every class.

    Returns:
        Tensor: scalar float32.
    """
    return ats_objective(s_logits, t_logits, labels, t_tau, t_tau, s_tau, lamb, logit_std)


def ce_objective(s_logits, t_logits, labels):
    """kd_way none: the cross-entropy alone; ``t_logits`` is not read (any (N, C) tensor may stand in).

    Returns:
        Tensor: scalar float32.
    """
    return cross_entropy(s_logits, labels)


def kl_batchmean(teacher_log_probs, student_log_probs):
    """Batch mean of KL(p || q) = sum_c p_c (log p_c - log q_c) from log-probabilities (N, C); scalar float32."""
    return (ops.exp(teacher_log_probs) * (teacher_log_probs - student_log_probs)).sum(axis=-1).mean()


EXPM1_LIMIT = 20.0
EXCLUDED = 1e9  # subtracted from excluded columns: their probability is exactly 0
SERIES_LIMIT = 0.5
# Taylor coefficients, highest power first (Horner): (e^x - 1 - x) / x^2 = sum_k x^k / (k + 2)!, and
# atanh(w) / w = sum_k w^(2k) / (2k + 1)
EXP_REMAINDER = tuple(1.0 / math.factorial(k + 2) for k in reversed(range(8)))
ATANH_OVER_W = tuple(1.0 / (2 * k + 1) for k in reversed(range(9)))


def horner(x, coefficients):
    """The polynomial with ``coefficients`` (highest power first) at ``x``."""
    out = ops.zeros_like(x)
    for c in coefficients:
        out = out * x + c
    return out


def expm1(x):
    """e^x - 1, accurate to float32's precision near 0 too: MindSpore 2.10's CPU ``ops.expm1`` (and ``ops.log1p``)
    compute exp(x) - 1 (log(1 + x)), 0.1 % off at 1e-5 and 19 % at 1e-7. Taylor series for |x| < 0.5 (error below
    1e-9 relative), exp(x) - 1 elsewhere (no cancellation there).

    Args:
        x (Tensor): float32, any shape.

    Returns:
        Tensor: float32, the shape of ``x``.
    """
    small = ops.abs(x) < SERIES_LIMIT
    xs = ops.select(small, x, ops.zeros_like(x))  # the series never sees a large x (no inf into the gradient)
    return ops.select(small, xs + xs * xs * horner(xs, EXP_REMAINDER), ops.exp(x) - 1.0)


def log1p(x):
    """log(1 + x), accurate near 0 (see ``expm1``): 2 atanh(x / (2 + x)) by its series for |x| < 0.5, log(1 + x)
    elsewhere. ``x`` > -1."""
    small = ops.abs(x) < SERIES_LIMIT
    xs = ops.select(small, x, ops.zeros_like(x))
    w = xs / (2.0 + xs)
    return ops.select(small, 2.0 * w * horner(w * w, ATANH_OVER_W), ops.log(1.0 + x))


def kl_from_logits(t_scaled, s_scaled, exclude=None):
    """Per-row KL(softmax(t) || softmax(s)) of scaled logits (N, C), accurate when they are close; with ``exclude``
    (an (N, C) 0/1 mask) both distributions are taken over the other columns (DKD's non-target classes).

    With u = s - t centred by its mean under p = softmax(t), KL = log sum_c p_c exp(u_c) = log1p(sum_c p_c
    expm1(u_c)): no cancellation between two log-partition functions, which would cost T^2 times float32's
    rounding (CTKD's learned T reaches 20); ``expm1`` and ``log1p`` are ours (MindSpore's lose digits near 0), and
    p's sum is divided out (MindSpore's CPU softmax sums to 1 only within about 1e-6, as large as a small KL). Rows
    with max u >= 20 (far apart, no cancellation to fear) take the plain sum_c p_c (log p_c - log q_c).

    Returns:
        Tensor: (N,) float32.
    """
    shift = 0.0 if exclude is None else EXCLUDED * exclude
    log_p = ops.log_softmax(t_scaled - shift, axis=-1)
    p = ops.exp(log_p)
    mass = p.sum(axis=-1, keepdims=True)  # 1 up to the CPU exp's rounding (~1e-6): divided out, not assumed
    u = s_scaled - t_scaled
    u = u - (p * u).sum(axis=-1, keepdims=True) / mass
    near = log1p((p * expm1(ops.minimum(u, EXPM1_LIMIT))).sum(axis=-1, keepdims=True) / mass).squeeze(-1)
    far = (p * (log_p - ops.log_softmax(s_scaled - shift, axis=-1))).sum(axis=-1)
    return ops.select(u.max(axis=-1) < EXPM1_LIMIT, near, far)
