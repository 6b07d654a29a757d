"""PyTorch versions of the peer methods' objectives that follow the authors' files step by step (written for these
tests, float64), so the parity tests compare ``ats_ms.create_loss`` with what the authors' code computes:

- KD, DKD: megvii-research/mdistiller at a08d46f, ``mdistiller/distillers/KD.py`` (kd_loss, forward_train) and
  ``mdistiller/distillers/DKD.py`` (dkd_loss, _get_gt_mask, _get_other_mask, cat_mask, forward_train);
- LS and ``logit_std``: sunshangquan/logit-standardization-KD at f6e5aa5, ``mdistiller/distillers/KD.py`` and
  ``DKD.py`` (normalize: mean and unbiased std over classes, 1e-7 added to the std);
- DIST: hunto/image_classification_sota at 6f7a70a, ``lib/models/losses/dist_kd.py`` (its CIFAR defaults T 4, CE 1,
  KD 2 come from ``configs/strategies/distill/dist_cifar.yaml``);
- CTKD: zhengli97/CTKD at 7d52522, ``models/temp_global.py`` (Global_T, GradientReversalFunction),
  ``distiller_zoo/KD.py`` (DistillKL), ``helper/loops.py`` (temp = t_start + t_end * sigmoid(theta), loss = gamma *
  CE + alpha * KL) and ``train_student.py`` (CosineDecay).
"""
import math

import torch
import torch.nn.functional as F


def normalize(logit):
    mean = logit.mean(dim=-1, keepdims=True)
    stdv = logit.std(dim=-1, keepdims=True)
    return (logit - mean) / (1e-7 + stdv)


def kd_loss(logits_student, logits_teacher, temperature, logit_stand=False):
    if logit_stand:
        logits_student, logits_teacher = normalize(logits_student), normalize(logits_teacher)
    log_pred_student = F.log_softmax(logits_student / temperature, dim=1)
    pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
    loss_kd = F.kl_div(log_pred_student, pred_teacher, reduction="none").sum(1).mean()
    return loss_kd * temperature ** 2


def kd(s, t, y, t_tau, ce_weight, kd_weight, logit_std=False):
    return ce_weight * F.cross_entropy(s, y) + kd_weight * kd_loss(s, t, t_tau, logit_std)


def _gt_mask(logits, target):
    return torch.zeros_like(logits).scatter_(1, target.reshape(-1).unsqueeze(1), 1).bool()


def _other_mask(logits, target):
    return torch.ones_like(logits).scatter_(1, target.reshape(-1).unsqueeze(1), 0).bool()


def _cat_mask(t, mask1, mask2):
    return torch.cat([(t * mask1).sum(dim=1, keepdims=True), (t * mask2).sum(1, keepdims=True)], dim=1)


def dkd_loss(logits_student, logits_teacher, target, alpha, beta, temperature, logit_stand=False):
    if logit_stand:
        logits_student, logits_teacher = normalize(logits_student), normalize(logits_teacher)
    gt_mask = _gt_mask(logits_student, target)
    other_mask = _other_mask(logits_student, target)
    pred_student = _cat_mask(F.softmax(logits_student / temperature, dim=1), gt_mask, other_mask)
    pred_teacher = _cat_mask(F.softmax(logits_teacher / temperature, dim=1), gt_mask, other_mask)
    tckd = F.kl_div(torch.log(pred_student), pred_teacher, reduction="sum") * temperature ** 2 / target.shape[0]
    pred_teacher_part2 = F.softmax(logits_teacher / temperature - 1000.0 * gt_mask, dim=1)
    log_pred_student_part2 = F.log_softmax(logits_student / temperature - 1000.0 * gt_mask, dim=1)
    nckd = F.kl_div(log_pred_student_part2, pred_teacher_part2, reduction="sum") * temperature ** 2 / target.shape[0]
    return alpha * tckd + beta * nckd


def dkd(s, t, y, t_tau, ce_weight, dkd_alpha, dkd_beta, dkd_warmup, logit_std=False, epoch=1):
    warm = min(epoch / dkd_warmup, 1.0) if dkd_warmup else 1.0  # warm-up 0 (no warm-up) is ours: theirs divides by it
    return ce_weight * F.cross_entropy(s, y) + warm * dkd_loss(s, t, y, dkd_alpha, dkd_beta, t_tau, logit_std)


def ls(s, t, y, t_tau, ce_weight, kd_weight):
    return kd(s, t, y, t_tau, ce_weight, kd_weight, True)


def _pearson(a, b, eps=1e-8):
    a, b = a - a.mean(1).unsqueeze(1), b - b.mean(1).unsqueeze(1)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def dist_loss(z_s, z_t, beta, gamma, tau):
    y_s, y_t = (z_s / tau).softmax(dim=1), (z_t / tau).softmax(dim=1)
    inter = tau ** 2 * (1 - _pearson(y_s, y_t).mean())
    intra = tau ** 2 * (1 - _pearson(y_s.transpose(0, 1), y_t.transpose(0, 1)).mean())
    return beta * inter + gamma * intra


def dist(s, t, y, t_tau, ce_weight, kd_weight, dist_beta, dist_gamma):
    return ce_weight * F.cross_entropy(s, y) + kd_weight * dist_loss(s, t, dist_beta, dist_gamma, t_tau)


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lambda_):
        ctx.lambda_ = lambda_
        return x.clone()

    @staticmethod
    def backward(ctx, grads):
        return grads.new_tensor(ctx.lambda_) * grads, None


def cosine_decay(epoch, decay_epochs, max_value=0.0, min_value=-1.0):
    i = min(max(epoch, 0), decay_epochs)
    return ((math.cos(i * math.pi / decay_epochs) + 1.0) * 0.5) * (max_value - min_value) + min_value


def ctkd(s, t, y, ctkd_t_start, ctkd_t_end, ctkd_decay_epochs, ce_weight, kd_weight, theta, epoch=1):
    temp = ctkd_t_start + ctkd_t_end * torch.sigmoid(_Reverse.apply(theta, cosine_decay(epoch, ctkd_decay_epochs)))
    kl = torch.nn.KLDivLoss(reduction="batchmean")(F.log_softmax(s / temp, dim=1), F.softmax(t / temp, dim=1))
    return ce_weight * F.cross_entropy(s, y) + kd_weight * kl * temp * temp


OBJECTIVES = {"KD": kd, "DKD": dkd, "LS": ls, "DIST": dist, "CTKD": ctkd}
