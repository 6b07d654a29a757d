"""PyTorch versions of the temperature peers' objectives that follow the authors' files line by line (written for these
tests, run in float64), so the parity tests compare ``ats_ms.create_loss`` with what the authors' code computes:

- TTM, WTTM: zkxufo/TTM at fe457b3, ``distiller_zoo/ttm.py`` (TTM.forward) and ``distiller_zoo/wttm.py``
  (WTTM.forward); the loss of ``helper/loops.py``: ``-r`` CE + ``-b`` TTM (README: -r 1 -b 45 -a 0);
- NormKD: gizi1/NormKD at 279371b, ``mdistiller/distillers/NormKD.py`` (kd_loss_normal, NormKD.forward_train);
- DTKD: JinYu1998/DTKD at 9ebaa97, ``mdistiller/distillers/DTKD.py`` (DTKD.forward_train);
- NKD: yzd-v/cls_KD at ad4876f (master), ``mmcls/distillation/losses/nkd.py`` (NKDLoss.forward), plus the student
  head's CE (``mmcls/distillation/distillers/classification_distiller.py``);
- ABKD: ghwang-s/abkd at df81318, ``standard_classification/distiller_zoo/abkl.py`` (ABKL.forward) and
  ``standard_classification/helper/loops.py`` (gamma CE + beta loss_kd).

``logit_std`` standardises both logits first with the LS code's ``normalize`` (``torch_peers.normalize``), as KD's.
Two lines are ours, marked ``# ours``: NormKD's std floor and DTKD's floor of the maxima (docs/methods.md); with
``floors=False`` they are the authors' lines exactly.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ats_ms.reference.temperature_peers import DTKD_MAX_FLOOR, NORMKD_STD_FLOOR  # our floors (floors=True)

from torch_peers import normalize


def _standardized(s, t, logit_std):
    return (normalize(s), normalize(t)) if logit_std else (s, t)


def ttm_loss(y_s, y_t, l, weighted=False):  # noqa: E741 (their name)
    p_s = F.log_softmax(y_s, dim=1)
    p_t = torch.pow(torch.softmax(y_t, dim=1), l)
    norm = torch.sum(p_t, dim=1)
    p_t = p_t / norm.unsqueeze(1)
    KL = torch.sum(F.kl_div(p_s, p_t, reduction='none'), dim=1)
    return torch.mean(norm * KL) if weighted else torch.mean(KL)


def ttm(s, t, y, ttm_gamma, ce_weight, kd_weight, logit_std=False):
    s_kd, t_kd = _standardized(s, t, logit_std)
    return ce_weight * F.cross_entropy(s, y) + kd_weight * ttm_loss(s_kd, t_kd, ttm_gamma)


def wttm(s, t, y, ttm_gamma, ce_weight, kd_weight, logit_std=False):
    s_kd, t_kd = _standardized(s, t, logit_std)
    return ce_weight * F.cross_entropy(s, y) + kd_weight * ttm_loss(s_kd, t_kd, ttm_gamma, weighted=True)


def kd_loss_normal(logits_student, logits_teacher, t_norm, floors=True):
    tstd = logits_teacher.std(dim=1, keepdim=True)
    sstd = logits_student.std(dim=1, keepdim=True)
    if floors:  # ours
        tstd, sstd = tstd.clamp(min=NORMKD_STD_FLOOR), sstd.clamp(min=NORMKD_STD_FLOOR)
    dywt = tstd * t_norm
    dyws = sstd * t_norm
    rt = (logits_teacher) / dywt
    rs = (logits_student) / dyws
    log_pred_student = F.log_softmax(rs, dim=1)
    pred_teacher = F.softmax(rt, dim=1)
    loss_kd = (F.kl_div(log_pred_student, pred_teacher, reduction="none").sum(1, keepdim=True) * (dywt ** 2)).mean()
    return loss_kd


def normkd(s, t, y, normkd_t_norm, ce_weight, kd_weight, logit_std=False, floors=True):
    s_kd, t_kd = _standardized(s, t, logit_std)
    return ce_weight * F.cross_entropy(s, y) + kd_weight * kd_loss_normal(s_kd, t_kd, normkd_t_norm, floors)


def dtkd_loss(logits_student, logits_teacher, temperature, floors=True):
    reference_temp = temperature
    logits_student_max, _ = logits_student.max(dim=1, keepdim=True)
    logits_teacher_max, _ = logits_teacher.max(dim=1, keepdim=True)
    if floors:  # ours
        logits_student_max = logits_student_max.clamp(min=DTKD_MAX_FLOOR)
        logits_teacher_max = logits_teacher_max.clamp(min=DTKD_MAX_FLOOR)
    logits_student_temp = 2 * logits_student_max / (logits_teacher_max + logits_student_max) * reference_temp
    logits_teacher_temp = 2 * logits_teacher_max / (logits_teacher_max + logits_student_max) * reference_temp
    ourskd = nn.KLDivLoss(reduction='none')(
        F.log_softmax(logits_student / logits_student_temp, dim=1),
        F.softmax(logits_teacher / logits_teacher_temp, dim=1)
    )
    loss_ourskd = (ourskd.sum(1, keepdim=True) * logits_teacher_temp * logits_student_temp).mean()
    vanilla_temp = temperature
    kd = nn.KLDivLoss(reduction='none')(
        F.log_softmax(logits_student / vanilla_temp, dim=1),
        F.softmax(logits_teacher / vanilla_temp, dim=1)
    )
    loss_kd = (kd.sum(1, keepdim=True) * vanilla_temp ** 2).mean()
    return loss_ourskd, loss_kd


def dtkd(s, t, y, t_tau, ce_weight, dtkd_alpha, dtkd_beta, dtkd_warmup, logit_std=False, epoch=1, floors=True):
    s_kd, t_kd = _standardized(s, t, logit_std)
    loss_ourskd, loss_kd = dtkd_loss(s_kd, t_kd, t_tau, floors)
    loss_ce = nn.CrossEntropyLoss()(s, y)
    warm = min(epoch / dtkd_warmup, 1.0) if dtkd_warmup else 1.0  # warm-up 0 (none) is ours: theirs divides by it
    return warm * (dtkd_alpha * loss_ourskd + dtkd_beta * loss_kd) + ce_weight * loss_ce


def nkd_loss(logit_s, logit_t, gt_label, temp, gamma):
    log_softmax = nn.LogSoftmax(dim=1)
    if len(gt_label.size()) > 1:
        label = torch.max(gt_label, dim=1, keepdim=True)[1]
    else:
        label = gt_label.view(len(gt_label), 1)
    N, c = logit_s.shape
    s_i = log_softmax(logit_s)
    t_i = F.softmax(logit_t, dim=1)
    s_t = torch.gather(s_i, 1, label)
    t_t = torch.gather(t_i, 1, label).detach()
    loss_t = - (t_t * s_t).mean()
    mask = torch.ones_like(logit_s).scatter_(1, label, 0).bool()
    logit_s = logit_s[mask].reshape(N, -1)
    logit_t = logit_t[mask].reshape(N, -1)
    S_i = log_softmax(logit_s / temp)
    T_i = F.softmax(logit_t / temp, dim=1)
    loss_non = (T_i * S_i).sum(dim=1).mean()
    loss_non = - gamma * (temp ** 2) * loss_non
    return loss_t + loss_non


def nkd(s, t, y, t_tau, ce_weight, kd_weight, nkd_gamma, logit_std=False):
    s_kd, t_kd = _standardized(s, t, logit_std)
    return ce_weight * F.cross_entropy(s, y) + kd_weight * nkd_loss(s_kd, t_kd, y, t_tau, nkd_gamma)


def abkl(y_s, y_t, T, alpha, beta):  # noqa: N803 (their name)
    teacher_probs = F.softmax(y_t / T, dim=1)
    student_probs = F.softmax(y_s / T, dim=1)
    inf_mask = torch.isinf(y_s) | torch.isinf(y_t)
    if alpha == 0 and beta == 0:
        log_diff = torch.log(student_probs) - torch.log(teacher_probs)
        log_diff = torch.masked_fill(log_diff, inf_mask, 0)
        divergence = 0.5 * torch.sum(log_diff ** 2, dim=1)
    elif alpha == 0:
        q_beta = torch.pow(student_probs, beta)
        p_beta = torch.pow(teacher_probs, beta)
        q_beta = torch.masked_fill(q_beta, inf_mask, 0)
        p_beta = torch.masked_fill(p_beta, inf_mask, 0)
        likeli_ratio = q_beta / p_beta
        likeli_ratio = torch.masked_fill(likeli_ratio, torch.isnan(likeli_ratio), 0)
        divergence = (1 / beta) * torch.sum(q_beta * torch.log(likeli_ratio) - q_beta + p_beta, dim=1)
    elif beta == 0:
        p_alpha = torch.pow(teacher_probs, alpha)
        p_alpha = torch.masked_fill(p_alpha, inf_mask, 0)
        q_alpha = torch.pow(student_probs, alpha)
        q_alpha = torch.masked_fill(q_alpha, inf_mask, 0)
        divergence = (1 / alpha) * torch.sum(p_alpha * torch.log(p_alpha / q_alpha) - p_alpha + q_alpha, dim=1)
    elif alpha + beta == 0:
        p_alpha = torch.pow(teacher_probs, alpha)
        q_alpha = torch.pow(student_probs, alpha)
        p_alpha = torch.masked_fill(p_alpha, inf_mask, 0)
        q_alpha = torch.masked_fill(q_alpha, inf_mask, 0)
        divergence = torch.sum((1 / alpha) * (torch.log(q_alpha / p_alpha) + (q_alpha / p_alpha).reciprocal() - 1),
                               dim=1)
    else:
        p_alpha = torch.pow(teacher_probs, alpha)
        q_beta = torch.pow(student_probs, beta)
        p_alpha_beta = torch.pow(teacher_probs, alpha + beta)
        q_alpha_beta = torch.pow(student_probs, alpha + beta)
        first_term = p_alpha * q_beta
        second_term = (alpha / (alpha + beta)) * p_alpha_beta
        third_term = (beta / (alpha + beta)) * q_alpha_beta
        first_term = torch.masked_fill(first_term, inf_mask, 0)
        second_term = torch.masked_fill(second_term, inf_mask, 0)
        third_term = torch.masked_fill(third_term, inf_mask, 0)
        divergence = -torch.sum(first_term - second_term - third_term, dim=1) / (alpha * beta)
    return divergence.mean()


def abkd(s, t, y, t_tau, ce_weight, kd_weight, ab_alpha, ab_beta, logit_std=False):
    s_kd, t_kd = _standardized(s, t, logit_std)
    return ce_weight * F.cross_entropy(s, y) + kd_weight * abkl(s_kd, t_kd, t_tau, ab_alpha, ab_beta)


OBJECTIVES = {"TTM": ttm, "WTTM": wttm, "NormKD": normkd, "DTKD": dtkd, "NKD": nkd, "ABKD": abkd}
