"""The catalogue of built-in distillation methods: the hyper-parameters they share (one definition per name) and one
``registry.register(Method(...))`` per method. ``ats_ms.losses.registry`` imports it before the registry is first
read or added to; a user's method is registered the same way from anywhere (docs/extending.md)."""
from ats_ms.losses.registry import HyperParameter, Method, register, variant
from ats_ms.utils.checks import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    check_bool,
    check_temperature,
    check_unit_interval,
    range_check,
)

MODULE, TWINS = "ats_ms.losses", "ats_ms.reference"


def _temperature(name, default, help_, check_values, short):
    return HyperParameter(name, float, default, check_temperature, help_, check_values, short)


def _weight(name, default, help_, check_values=()):
    return HyperParameter(name, float, default, NON_NEGATIVE, help_, check_values)


TP_TAU = _temperature("tp_tau", 4.0, "teacher temperature of the correct class (ATS)", (1.0, 4.0, 6.0), "tp")
T_TAU = _temperature("t_tau", 3.0, "temperature (ATS: of the teacher's wrong classes)", (1.0, 2.0, 5.0), "t")
S_TAU = _temperature("s_tau", 1.0, "student temperature (TS, ATS)", (1.0, 4.0), "s")
LAMB = HyperParameter("lamb", float, 0.5, check_unit_interval, "weight of the KD term, (1 - lamb) of the "
                                                                 "cross-entropy (TS, ATS)", (0.5, 1.0))
LOGIT_STD = HyperParameter("logit_std", bool, False, check_bool, "logit standardisation (Sun et al., CVPR 2024) "
                                                                 "of both logits before the KD term",
                           (False, True))
CE_WEIGHT = _weight("ce_weight", 0.1, "weight of the cross-entropy", (0.1, 1.0))
KD_WEIGHT = _weight("kd_weight", 0.9, "weight of the KD term", (0.9,))
DKD_ALPHA = _weight("dkd_alpha", 1.0, "DKD: weight of TCKD (target vs the rest)")
DKD_BETA = _weight("dkd_beta", 8.0, "DKD: weight of NCKD (among the non-target classes)", (8.0, 2.0))
DKD_WARMUP = HyperParameter("dkd_warmup", int, 20, NON_NEGATIVE_INT, "DKD: epochs of the linear warm-up of its KD "
                                                                     "term (0: none)", (20, 0))
DIST_BETA = _weight("dist_beta", 1.0, "DIST: weight of the inter-class relation", (1.0, 2.0))
DIST_GAMMA = _weight("dist_gamma", 1.0, "DIST: weight of the intra-class relation", (1.0, 0.5))
CTKD_T_START = HyperParameter("ctkd_t_start", float, 1.0, POSITIVE, "CTKD: lowest learned temperature")
CTKD_T_END = HyperParameter("ctkd_t_end", float, 20.0, POSITIVE, "CTKD: range of the learned temperature (T = "
                                                                  "t_start + t_end * sigmoid(theta))")
CTKD_DECAY = HyperParameter("ctkd_decay_epochs", int, 10, POSITIVE_INT, "CTKD: epochs of the cosine schedule of "
                                                                        "its gradient-reversal factor (0 to -1)")
TTM_GAMMA = HyperParameter("ttm_gamma", float, 0.1, POSITIVE, "TTM, WTTM: exponent gamma of the teacher's "
                                                               "probabilities (renormalised)", (0.1, 0.5))
NORMKD_T_NORM = HyperParameter("normkd_t_norm", float, 2.0, POSITIVE, "NormKD: temperature per unit of a row's "
                                                                       "logit std (T = t_norm * std)", (2.0, 1.0))
DTKD_ALPHA = _weight("dtkd_alpha", 3.0, "DTKD: weight of its KL at the dynamic temperatures")
DTKD_BETA = _weight("dtkd_beta", 1.0, "DTKD: weight of plain KD at t_tau", (1.0, 0.5))
DTKD_WARMUP = HyperParameter("dtkd_warmup", int, 20, NON_NEGATIVE_INT, "DTKD: epochs of the linear warm-up of its "
                                                                       "KD terms (0: none)", (20, 0))
NKD_GAMMA = _weight("nkd_gamma", 3.5, "NKD: weight of the normalised non-target term", (3.5, 1.5))
AB_RANGE = range_check(-10, 10)  # |alpha|, |beta| <= 10: p^(alpha + beta) stays within float32
AB_ALPHA = HyperParameter("ab_alpha", float, 0.8, AB_RANGE, "ABKD: alpha of the alpha-beta divergence", (0.8, 0.0))
AB_BETA = HyperParameter("ab_beta", float, 0.3, AB_RANGE, "ABKD: beta of the alpha-beta divergence", (0.3,))


register(Method(
    "ATS", "asymmetric temperature scaling (Li et al., NeurIPS 2022): tp_tau on the true class, t_tau elsewhere",
    (TP_TAU, T_TAU, S_TAU, LAMB, LOGIT_STD), f"{MODULE}.functional:ats_objective", f"{TWINS}.losses:ats_objective"))
register(Method(
    "TS", "temperature scaling (Hinton et al.) as the official ATS codes optimise it: one teacher temperature t_tau",
    (T_TAU, S_TAU, LAMB, LOGIT_STD), f"{MODULE}.functional:ts_objective", f"{TWINS}.losses:ts_objective",
    tied={"tp_tau": "t_tau"}))
register(Method(
    "none", "no distillation: the cross-entropy alone (the teacher is not read)", (),
    f"{MODULE}.functional:ce_objective", f"{TWINS}.losses:ce_objective", needs_teacher=False, ignores=("t_net_name",)))
register(Method(
    "KD", "knowledge distillation (Hinton et al.), as mdistiller: ce_weight CE + kd_weight T^2 KL",
    (variant(T_TAU, 4.0, (1.0, 4.0)), CE_WEIGHT, KD_WEIGHT, LOGIT_STD), f"{MODULE}.kd:kd_objective",
    f"{TWINS}.peers:kd_objective"))
register(Method(
    "DKD", "decoupled KD (Zhao et al., CVPR 2022): ce_weight CE + warm-up (alpha TCKD + beta NCKD)",
    (variant(T_TAU, 4.0, (1.0, 4.0)), variant(CE_WEIGHT, 1.0, (1.0,)), DKD_ALPHA, DKD_BETA, DKD_WARMUP, LOGIT_STD),
    f"{MODULE}.dkd:dkd_objective", f"{TWINS}.peers:dkd_objective", min_classes=3, uses_epoch=True,
    schedule="dkd_warmup"))
register(Method(
    "LS", "logit standardisation (Sun et al., CVPR 2024): KD on z-scored logits",
    (variant(T_TAU, 2.0, (1.0, 2.0)), CE_WEIGHT, variant(KD_WEIGHT, 9.0, (9.0,))), f"{MODULE}.kd:ls_objective",
    f"{TWINS}.peers:ls_objective", min_classes=2))
register(Method(
    "DIST", "DIST (Huang et al., NeurIPS 2022): Pearson relations of the softened predictions across classes "
            "and across the batch",
    (variant(T_TAU, 4.0, (1.0, 4.0)), variant(CE_WEIGHT, 1.0, (1.0,)), variant(KD_WEIGHT, 2.0, (2.0,)), DIST_BETA,
     DIST_GAMMA), f"{MODULE}.dist:dist_objective", f"{TWINS}.peers:dist_objective"))
register(Method(
    "CTKD", "curriculum temperature KD (Li et al., AAAI 2023): KD with a learned, adversarial temperature",
    (CTKD_T_START, CTKD_T_END, CTKD_DECAY, CE_WEIGHT, KD_WEIGHT), f"{MODULE}.ctkd:ctkd_objective",
    f"{TWINS}.peers:ctkd_objective", cell=f"{MODULE}.ctkd:CTKDObjective", uses_epoch=True,
    schedule="ctkd_decay_epochs", learned_twin=f"{TWINS}.peers:ctkd_learned_gradient"))
register(Method(
    "TTM", "transformed teacher matching (ICLR 2024): KL to the teacher's probabilities raised to "
           "ttm_gamma", (TTM_GAMMA, variant(CE_WEIGHT, 1.0, (1.0,)), variant(KD_WEIGHT, 45.0, (45.0,)), LOGIT_STD),
    f"{MODULE}.ttm:ttm_objective", f"{TWINS}.temperature_peers:ttm_objective"))
register(Method(
    "WTTM", "weighted TTM (ICLR 2024): TTM's KL weighted per sample by sum_c p_c^ttm_gamma",
    (TTM_GAMMA, variant(CE_WEIGHT, 1.0, (1.0,)), variant(KD_WEIGHT, 45.0, (45.0,)), LOGIT_STD),
    f"{MODULE}.ttm:wttm_objective", f"{TWINS}.temperature_peers:wttm_objective"))
register(Method(
    "NormKD", "NormKD (2023): KD at per-sample temperatures normkd_t_norm * std of each row's logits",
    (NORMKD_T_NORM, CE_WEIGHT, KD_WEIGHT, LOGIT_STD), f"{MODULE}.normkd:normkd_objective",
    f"{TWINS}.temperature_peers:normkd_objective", min_classes=2))
register(Method(
    "DTKD", "dynamic temperature KD (2024): KL at per-sample temperatures from both row maxima, plus KD",
    (variant(T_TAU, 4.0, (1.0, 4.0)), variant(CE_WEIGHT, 1.0, (1.0,)), DTKD_ALPHA, DTKD_BETA, DTKD_WARMUP, LOGIT_STD),
    f"{MODULE}.dtkd:dtkd_objective", f"{TWINS}.temperature_peers:dtkd_objective", uses_epoch=True,
    schedule="dtkd_warmup"))
register(Method(
    "NKD", "normalized KD (Yang et al., ICCV 2023): the teacher's target probability plus normalised non-target KD",
    (variant(T_TAU, 3.0, (1.0, 3.0)), variant(CE_WEIGHT, 1.0, (1.0,)), variant(KD_WEIGHT, 1.0, (1.0,)), NKD_GAMMA,
     LOGIT_STD), f"{MODULE}.nkd:nkd_objective", f"{TWINS}.temperature_peers:nkd_objective"))
register(Method(
    "ABKD", "alpha-beta divergence KD (Wang et al., ICML 2025): KL replaced by the alpha-beta divergence",
    (variant(T_TAU, 4.0, (4.0,)), variant(CE_WEIGHT, 1.0, (1.0,)), variant(KD_WEIGHT, 32.0, (32.0,)), AB_ALPHA,
     AB_BETA, LOGIT_STD), f"{MODULE}.abkd:abkd_objective", f"{TWINS}.temperature_peers:abkd_objective"))
