r"""Normalized KD (NKD: Zhendong Yang, Ailing Zeng, Zhe Li, Tianke Zhang, Chun Yuan, Yu Li, "From Knowledge
Distillation to Self-Knowledge Distillation: A Unified Approach with Normalized Loss and Customized Soft Labels", ICCV
2023, arXiv 2303.13005), as the authors' code computes it (yzd-v/cls_KD at ad4876f, the master branch,
``mmcls/distillation/losses/nkd.py``; T 3 and gamma 3.5 from
``configs/distillers/cifar100/res34_distill_res18_cifar.py``):

.. math::
    L_t = -\frac{1}{N}\sum_n \mathrm{softmax}(t_n)_{y_n} \log\mathrm{softmax}(s_n)_{y_n},\quad
    L_{non} = -\gamma T^2 \frac{1}{N}\sum_n \sum_{c \ne y_n} \mathrm{softmax}(\tilde t_n / T)_c
        \log\mathrm{softmax}(\tilde s_n / T)_c

    L = w_{ce}\, CE(s, y) + w_{kd} (L_t + L_{non})

with \tilde t, \tilde s the logits without the target column (softmax over the C - 1 others; the target probability is
the teacher's at temperature 1, without gradient). The non-target term is a cross-entropy, as theirs (its value holds
the teacher's entropy; its gradient is KL's). The target column is removed by subtracting 1e9 (probability exactly
0), so with 2 classes the non-target term is 0 and NKD is CE plus the target term.
"""
from mindspore import ops

from ats_ms.losses.functional import EXCLUDED, cross_entropy, kd_inputs, label_mask


def nkd_term(s_logits, t_logits, labels, t_tau, nkd_gamma):
    """The target term plus the normalised non-target term.

    Args:
        s_logits, t_logits (Tensor): (N, C) float32 logits (the teacher's without gradient).
        labels (Tensor): (N,) labels.
        t_tau, nkd_gamma (float): T, gamma.

    Returns:
        Tensor: scalar float32.
    """
    gt = label_mask(labels, s_logits.shape[-1])
    target_prob = (ops.softmax(t_logits, axis=-1) * gt).sum(axis=-1)
    target_log = (ops.log_softmax(s_logits, axis=-1) * gt).sum(axis=-1)
    target = -(target_prob * target_log).mean()
    shift = EXCLUDED * gt
    others_t = ops.softmax(t_logits / t_tau - shift, axis=-1)
    others_s = ops.log_softmax(s_logits / t_tau - shift, axis=-1)
    non_target = -(nkd_gamma * t_tau * t_tau) * (others_t * others_s).sum(axis=-1).mean()
    return target + non_target


def nkd_objective(s_logits, t_logits, labels, t_tau, ce_weight, kd_weight, nkd_gamma, logit_std=False):
    """The NKD method: ce_weight * CE(s, y) + kd_weight * ``nkd_term`` (on standardised logits when ``logit_std``;
    the cross-entropy keeps the raw logits).

    Args:
        s_logits, t_logits (Tensor): (N, C) logits of any float dtype; labels (Tensor): (N,).
        t_tau, ce_weight, kd_weight, nkd_gamma (float); logit_std (bool).

    Returns:
        Tensor: scalar float32.
    """
    s_logits, s_kd, t_kd = kd_inputs(s_logits, t_logits, logit_std)
    return ce_weight * cross_entropy(s_logits, labels) + kd_weight * nkd_term(s_kd, t_kd, labels, t_tau, nkd_gamma)
