"""The paper's statistics of the teacher's wrong-class probabilities and the three-term decomposition of the KD loss.

For q (N, C) and labels y, the wrong-class part w_n = q_n without column y_n (C - 1 values):
    e(q)      = mean(w_n)                       (= (1 - q_y) / (C - 1))
    sigma(q)  = population std (ddof=0) of w_n  (the official plot calls it "variance" but computes a std)
    var(q)    = sigma(q)^2
Decomposition (an algebraic identity), with p the student's probabilities and e = e(q):
    -sum_c q_c log p_c = -q_y log p_y                          (correct guidance)
                         - e * sum_{c != y} log p_c            (smooth regularisation)
                         - sum_{c != y} (q_c - e) log p_c      (class discriminability)
"""
import numpy as np

from ats_ms.reference.losses import label_mask


def wrong_class_stats(q, labels):
    """Statistics of the wrong-class probabilities, per sample and averaged over samples.

    Args:
        q (array): (N, C) probabilities.
        labels (array): (N,) integer labels.

    Returns:
        dict: ``q_y``, ``e``, ``sigma``, ``var``: each an (N,) float64 array, and ``*_mean`` floats of each.
    """
    q = np.asarray(q, dtype=np.float64)
    n, c = q.shape
    mask = label_mask(labels, c).astype(bool)
    wrong = q[~mask].reshape(n, c - 1)
    out = {"q_y": q[mask], "e": wrong.mean(axis=1), "sigma": wrong.std(axis=1, ddof=0), "var": wrong.var(axis=1)}
    out.update({f"{k}_mean": float(v.mean()) for k, v in list(out.items())})
    return out


def kd_decomposition(q, labels, student_probs):
    """The three terms of -sum_c q_c log p_c, each averaged over samples.

    Args:
        q (array): (N, C) teacher probabilities.
        labels (array): (N,) integer labels.
        student_probs (array): (N, C) student probabilities p (a uniform student is ``np.full((N, C), 1 / C)``).

    Returns:
        dict: ``correct_guidance``, ``smooth_regularization``, ``class_discriminability`` and their ``total`` (floats).
    """
    q = np.asarray(q, dtype=np.float64)
    log_p = np.log(np.asarray(student_probs, dtype=np.float64))
    n, c = q.shape
    mask = label_mask(labels, c).astype(bool)
    e = wrong_class_stats(q, labels)["e"][:, None]
    wrong_log_p = np.where(mask, 0.0, log_p)
    terms = {
        "correct_guidance": -(q * log_p)[mask],
        "smooth_regularization": -(e[:, 0] * wrong_log_p.sum(axis=1)),
        "class_discriminability": -(np.where(mask, 0.0, q - e) * wrong_log_p).sum(axis=1),
    }
    out = {k: float(v.mean()) for k, v in terms.items()}
    out["total"] = sum(out.values())
    return out
