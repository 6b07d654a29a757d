r"""Logit standardisation (Sun et al., "Logit Standardization in Knowledge Distillation", CVPR 2024), an option any
method's KD term can take (``logit_std``): each row of logits is z-scored over its classes,

.. math::
    \mathcal{Z}(z) = \frac{z - \mathrm{mean}(z)}{\mathrm{std}(z) + 10^{-7}}

with the unbiased standard deviation (``torch.std``'s default, as the authors' ``normalize``). Graph-safe; float32.
"""
from mindspore import ops

STD_EPS = 1e-7


def centred_variance(logits):
    """Each row minus its mean, and the row's unbiased variance.

    Args:
        logits (Tensor): (N, C) float32 logits, C >= 2.

    Returns:
        tuple[Tensor, Tensor]: (N, C) centred rows and (N, 1) variances, float32.
    """
    centred = logits - ops.mean(logits, -1, True)
    return centred, (centred * centred).sum(axis=-1, keepdims=True) / (logits.shape[-1] - 1)


def standardize(logits):
    """Z-score each row over its classes.

    Args:
        logits (Tensor): (N, C) float logits, C >= 2.

    Returns:
        Tensor: (N, C) float32, rows of mean 0 and unbiased standard deviation about 1.
    """
    centred, variance = centred_variance(logits.astype("float32"))
    return centred / (ops.sqrt(variance) + STD_EPS)


def standardize_both(s_logits, t_logits, logit_std):
    """(student, teacher) logits, both standardised when ``logit_std`` (a Python bool), else unchanged."""
    if logit_std:
        return standardize(s_logits), standardize(t_logits)
    return s_logits, t_logits
