r"""Logit standardisation (Sun et al., "Logit Standardization in Knowledge Distillation", CVPR 2024), an option any
method's KD term can take (``logit_std``): each row of logits is z-scored over its classes,

.. math::
    \mathcal{Z}(z) = \frac{z - \mathrm{mean}(z)}{\mathrm{std}(z) + 10^{-7}}

with the unbiased standard deviation (``torch.std``'s default, as the authors' ``normalize``). Graph-safe; float32.
"""
from mindspore import ops

STD_EPS = 1e-7


def standardize(logits):
    """Z-score each row over its classes.

    Args:
        logits (Tensor): (N, C) float logits, C >= 2.

    Returns:
        Tensor: (N, C) float32, rows of mean 0 and unbiased standard deviation about 1.
    """
    z = logits.astype("float32")
    centred = z - ops.mean(z, -1, True)
    variance = (centred * centred).sum(axis=-1, keepdims=True) / (z.shape[-1] - 1)
    return centred / (ops.sqrt(variance) + STD_EPS)


def standardize_both(s_logits, t_logits, logit_std):
    """(student, teacher) logits, both standardised when ``logit_std`` (a Python bool), else unchanged."""
    if logit_std:
        return standardize(s_logits), standardize(t_logits)
    return s_logits, t_logits
