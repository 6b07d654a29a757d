"""Float64 numpy forward twins of the peer methods (``ats_ms.losses.kd``, ``dkd``, ``dist``, ``ctkd``): same names,
same arguments, the formulas of their docstrings. ``python -m ats_ms check`` differentiates them numerically."""
import numpy as np

from ats_ms.reference.losses import cross_entropy, label_mask, log_softmax, softmax, standardize_both

EXCLUDED = 1e9
PEARSON_EPS = 1e-8
NORM_FLOOR = 1e-24


def kl_batchmean(teacher_log_probs, student_log_probs):
    """Batch mean of sum_c p_c (log p_c - log q_c)."""
    return float((np.exp(teacher_log_probs) * (teacher_log_probs - student_log_probs)).sum(-1).mean())


def kd_term(s_logits, t_logits, temperature):
    """T^2 KL(softmax(t / T) || softmax(s / T)), batch mean."""
    return temperature ** 2 * kl_batchmean(log_softmax(t_logits / temperature), log_softmax(s_logits / temperature))


def kd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, logit_std=False):
    """ce_weight CE + kd_weight ``kd_term`` (on standardised logits when ``logit_std``)."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * kd_term(s_kd, t_kd, t_tau)


def ls_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight):
    """``kd_objective`` on standardised logits."""
    return kd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, True)


def _logsumexp(x):
    m = x.max(-1, keepdims=True)
    return m + np.log(np.exp(x - m).sum(-1, keepdims=True))


def _binary_log_probs(x, gt):
    log_all = _logsumexp(x)
    return np.concatenate(((x * gt).sum(-1, keepdims=True) - log_all, _logsumexp(x - EXCLUDED * gt) - log_all), -1)


def dkd_term(s_logits, t_logits, labels, t_tau, dkd_alpha, dkd_beta):
    """alpha TCKD + beta NCKD, both T^2-scaled, summed over classes and divided by the batch size."""
    x, z = np.asarray(s_logits, np.float64) / t_tau, np.asarray(t_logits, np.float64) / t_tau
    gt = label_mask(labels, x.shape[-1])
    tckd = kl_batchmean(_binary_log_probs(z, gt), _binary_log_probs(x, gt))
    nckd = kl_batchmean(log_softmax(z - EXCLUDED * gt), log_softmax(x - EXCLUDED * gt))
    return t_tau ** 2 * (dkd_alpha * tckd + dkd_beta * nckd)


def dkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, dkd_alpha, dkd_beta, dkd_warmup,
                  logit_std=False, *, epoch):
    """ce_weight CE + min(epoch / warmup, 1) ``dkd_term`` (1 without warm-up)."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    factor = min(epoch / dkd_warmup, 1.0) if dkd_warmup else 1.0
    return ce_weight * cross_entropy(s_logits, labels) + factor * dkd_term(s_kd, t_kd, labels, t_tau, dkd_alpha,
                                                                           dkd_beta)


def pearson_rows(a, b):
    """Pearson correlation of each row of ``a`` with the same row of ``b``."""
    a, b = a - a.mean(-1, keepdims=True), b - b.mean(-1, keepdims=True)
    norm = lambda x: np.sqrt((x * x).sum(-1) + NORM_FLOOR)  # noqa: E731
    return (a * b).sum(-1) / (norm(a) * norm(b) + PEARSON_EPS)


def dist_term(s_logits, t_logits, t_tau, dist_beta, dist_gamma):
    """T^2 (beta (1 - mean row correlation) + gamma (1 - mean column correlation)) of the softened predictions."""
    p, q = softmax(np.asarray(s_logits, np.float64) / t_tau), softmax(np.asarray(t_logits, np.float64) / t_tau)
    inter, intra = 1.0 - pearson_rows(p, q).mean(), 1.0 - pearson_rows(p.T, q.T).mean()
    return t_tau ** 2 * (dist_beta * inter + dist_gamma * intra)


def dist_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, dist_beta, dist_gamma):
    """ce_weight CE + kd_weight ``dist_term``."""
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * dist_term(s_logits, t_logits, t_tau, dist_beta,
                                                                               dist_gamma)


def learned_temperature(theta, ctkd_t_start, ctkd_t_end):
    """T = t_start + t_end sigmoid(theta)."""
    return ctkd_t_start + ctkd_t_end / (1.0 + np.exp(-theta))


def ctkd_objective(s_logits, t_logits, labels, ctkd_t_start, ctkd_t_end, ctkd_decay_epochs, ce_weight, kd_weight,
                   theta=1.0, *, epoch):
    """ce_weight CE + kd_weight ``kd_term`` at the learned temperature (theta starts at 1); the value does not depend
    on ``epoch`` (the Cell scales theta's gradient by ``reversal_factor``)."""
    temperature = learned_temperature(theta, ctkd_t_start, ctkd_t_end)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * kd_term(np.asarray(s_logits, np.float64),
                                                                             np.asarray(t_logits, np.float64),
                                                                             temperature)


def reversal_factor(epoch, decay_epochs):
    """CTKD's gradient-reversal lambda at the 1-based ``epoch``: 0.5 (cos(pi min(e, D) / D) + 1) - 1."""
    e = min(max(float(epoch), 0.0), float(decay_epochs))
    return (np.cos(e * np.pi / decay_epochs) + 1.0) * 0.5 - 1.0


def ctkd_learned_gradient(s_logits, t_logits, labels, ctkd_t_start, ctkd_t_end, ctkd_decay_epochs, ce_weight,
                          kd_weight, theta=1.0, *, epoch, step=1e-5):
    """(d loss / d theta,) as the Cell's backward pass gives it: lambda(epoch) times the central finite difference of
    ``ctkd_objective`` in theta."""
    def at(value):
        return ctkd_objective(s_logits, t_logits, labels, ctkd_t_start, ctkd_t_end, ctkd_decay_epochs, ce_weight,
                              kd_weight, value, epoch=epoch)
    return (reversal_factor(epoch, ctkd_decay_epochs) * (at(theta + step) - at(theta - step)) / (2 * step),)
