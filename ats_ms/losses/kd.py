r"""Knowledge distillation (Hinton et al., 2015) as mdistiller computes it (``mdistiller/distillers/KD.py``), and
logit standardisation (LS: Sun et al., CVPR 2024, sunshangquan/logit-standardization-KD, the same file), which is KD
on z-scored logits with its own defaults:

.. math::
    L = w_{ce}\, CE(s, y) + w_{kd}\, T^2 \frac{1}{N}\sum_n \sum_c p_{nc} (\log p_{nc} - \log q_{nc}),\quad
    p = \mathrm{softmax}(t / T),\ q = \mathrm{softmax}(s / T)

The KL divergence is summed over classes and averaged over the batch (``reduction="none").sum(1).mean()`` there),
not MindSpore's ``ops.kl_div`` default (a mean over all elements, C times smaller). Logs come from ``log_softmax``
of the teacher too, so a vanishing teacher probability contributes 0, never NaN.
"""

from ats_ms.losses.functional import cross_entropy, kd_inputs, kl_from_logits


def kd_term(s_logits, t_logits, temperature):
    """T^2 KL(softmax(t / T) || softmax(s / T)), batch mean; ``temperature`` a float or a scalar Tensor (CTKD).

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        temperature (float | Tensor): T.

    Returns:
        Tensor: scalar float32.
    """
    return temperature * temperature * kl_from_logits(t_logits / temperature, s_logits / temperature).mean()


def kd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, logit_std=False):
    """The KD method: ce_weight * CE(s, y) + kd_weight * ``kd_term`` at temperature ``t_tau`` (on standardised logits
    when ``logit_std``; the cross-entropy keeps the raw logits, as the LS code).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        t_tau (float): T; ce_weight, kd_weight (float): weights; logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * kd_term(s_kd, t_kd, t_tau)


def ls_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight):
    """The LS method: ``kd_objective`` on standardised logits (its defaults: T 2, ce 0.1, kd 9).

    Returns:
        Tensor: scalar float32.
    """
    return kd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, True)
