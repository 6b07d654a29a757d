"""Float64 numpy forward twins of the temperature peers (``ats_ms.losses.ttm``, ``normkd``, ``dtkd``, ``nkd``,
``abkd``): same names, same arguments, the authors' formulas (powers of probabilities taken in log space, so that no
0 * log 0 or 0 / 0 appears), with our floors (NormKD's std, DTKD's maxima). ``python -m ats_ms check``
differentiates them numerically."""
import numpy as np

from ats_ms.reference.losses import cross_entropy, label_mask, log_softmax, softmax, standardize_both
from ats_ms.reference.peers import EXCLUDED, kd_term

NORMKD_STD_FLOOR = 1e-6
DTKD_MAX_FLOOR = 1e-3


def _kl_rows(t_scaled, s_scaled):
    """Per-row KL(softmax(t) || softmax(s)) (N,)."""
    log_p = log_softmax(t_scaled)
    return (np.exp(log_p) * (log_p - log_softmax(s_scaled))).sum(-1)


def ttm_kl(s_logits, t_logits, ttm_gamma):
    """Per-sample KL(softmax(t)^gamma renormalised || softmax(s)) (N,)."""
    return _kl_rows(ttm_gamma * np.asarray(t_logits, np.float64), np.asarray(s_logits, np.float64))


def ttm_weight(t_logits, ttm_gamma):
    """WTTM's weight sum_c softmax(t)_c^gamma (N,)."""
    return np.exp(ttm_gamma * log_softmax(np.asarray(t_logits, np.float64))).sum(-1)


def ttm_objective(s_logits, t_logits, labels, ttm_gamma, ce_weight, kd_weight, logit_std=False):
    """ce_weight CE + kd_weight batch mean of ``ttm_kl``."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * float(ttm_kl(s_kd, t_kd, ttm_gamma).mean())


def wttm_objective(s_logits, t_logits, labels, ttm_gamma, ce_weight, kd_weight, logit_std=False):
    """ce_weight CE + kd_weight batch mean of ``ttm_weight`` * ``ttm_kl``."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    weighted = ttm_weight(t_kd, ttm_gamma) * ttm_kl(s_kd, t_kd, ttm_gamma)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * float(weighted.mean())


def row_std(logits):
    """(N, 1) unbiased std of each row, floored at ``NORMKD_STD_FLOOR``."""
    return np.maximum(np.asarray(logits, np.float64).std(-1, ddof=1, keepdims=True), NORMKD_STD_FLOOR)


def normkd_term(s_logits, t_logits, normkd_t_norm):
    """Batch mean of T_t^2 KL(softmax(t / T_t) || softmax(s / T_s)), T = T_norm std."""
    t_temp, s_temp = normkd_t_norm * row_std(t_logits), normkd_t_norm * row_std(s_logits)
    return float((_kl_rows(t_logits / t_temp, s_logits / s_temp) * t_temp[:, 0] ** 2).mean())


def normkd_objective(s_logits, t_logits, labels, normkd_t_norm, ce_weight, kd_weight, logit_std=False):
    """ce_weight CE + kd_weight ``normkd_term``."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * normkd_term(s_kd, t_kd, normkd_t_norm)


def dtkd_temperatures(s_logits, t_logits, t_tau):
    """(N, 1) student and teacher temperatures 2 m / (m_s + m_t) T from the floored row maxima."""
    s_max = np.maximum(np.asarray(s_logits, np.float64).max(-1, keepdims=True), DTKD_MAX_FLOOR)
    t_max = np.maximum(np.asarray(t_logits, np.float64).max(-1, keepdims=True), DTKD_MAX_FLOOR)
    return 2 * s_max / (s_max + t_max) * t_tau, 2 * t_max / (s_max + t_max) * t_tau


def dtkd_term(s_logits, t_logits, t_tau, dtkd_alpha, dtkd_beta):
    """alpha batch mean of T_t T_s KL at the dynamic temperatures + beta ``kd_term`` at T."""
    s_temp, t_temp = dtkd_temperatures(s_logits, t_logits, t_tau)
    dynamic = float((_kl_rows(t_logits / t_temp, s_logits / s_temp) * (t_temp * s_temp)[:, 0]).mean())
    return dtkd_alpha * dynamic + dtkd_beta * kd_term(np.asarray(s_logits, np.float64),
                                                      np.asarray(t_logits, np.float64), t_tau)


def dtkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, dtkd_alpha, dtkd_beta, dtkd_warmup,
                   logit_std=False, *, epoch):
    """ce_weight CE + min(epoch / warmup, 1) ``dtkd_term`` (1 without warm-up)."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    factor = min(epoch / dtkd_warmup, 1.0) if dtkd_warmup else 1.0
    return ce_weight * cross_entropy(s_logits, labels) + factor * dtkd_term(s_kd, t_kd, t_tau, dtkd_alpha, dtkd_beta)


def nkd_term(s_logits, t_logits, labels, t_tau, nkd_gamma):
    """-mean p_t,y log q_y - gamma T^2 mean sum over c != y of softmax(t~ / T) log softmax(s~ / T)."""
    s, t = np.asarray(s_logits, np.float64), np.asarray(t_logits, np.float64)
    gt = label_mask(labels, s.shape[-1])
    target = -((softmax(t) * gt).sum(-1) * (log_softmax(s) * gt).sum(-1)).mean()
    others_t, others_s = softmax(t / t_tau - EXCLUDED * gt), log_softmax(s / t_tau - EXCLUDED * gt)
    return float(target - nkd_gamma * t_tau ** 2 * (others_t * others_s).sum(-1).mean())


def nkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, nkd_gamma, logit_std=False):
    """ce_weight CE + kd_weight ``nkd_term``."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * nkd_term(s_kd, t_kd, labels, t_tau, nkd_gamma)


def ab_divergence(s_logits, t_logits, t_tau, ab_alpha, ab_beta):
    """(N,) the authors' alpha-beta divergence of p = softmax(t / T), q = softmax(s / T), with their special cases;
    p^k = exp(k log p)."""
    a = log_softmax(np.asarray(t_logits, np.float64) / t_tau)
    b = log_softmax(np.asarray(s_logits, np.float64) / t_tau)
    alpha, beta = ab_alpha, ab_beta
    if alpha == 0 and beta == 0:
        terms = 0.5 * (b - a) ** 2
    elif alpha == 0:
        terms = (np.exp(beta * b) * beta * (b - a) - np.exp(beta * b) + np.exp(beta * a)) / beta
    elif beta == 0:
        terms = (np.exp(alpha * a) * alpha * (a - b) - np.exp(alpha * a) + np.exp(alpha * b)) / alpha
    elif alpha + beta == 0:
        terms = (alpha * (b - a) + np.exp(alpha * (a - b)) - 1) / alpha
    else:
        total = alpha + beta
        terms = -(np.exp(alpha * a + beta * b) - alpha / total * np.exp(total * a) -
                  beta / total * np.exp(total * b)) / (alpha * beta)
    return terms.sum(-1)


def abkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, ab_alpha, ab_beta, logit_std=False):
    """ce_weight CE + kd_weight batch mean of ``ab_divergence``."""
    s_kd, t_kd = standardize_both(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * float(
        ab_divergence(s_kd, t_kd, t_tau, ab_alpha, ab_beta).mean())
