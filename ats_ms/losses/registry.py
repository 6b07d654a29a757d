"""The registry of distillation methods (``kd_way``): one ``Method`` entry per method, everything else derived.

An entry names the method, its hyper-parameters (flag name, type, default, range check, help), its pure MindSpore
objective, its Cell and its float64 numpy forward twin (as ``"module:attribute"`` strings, imported on first use, so
this module and the flag table never import MindSpore), the flags it ignores (recorded as null) and whether it needs
the teacher. The flag table (``ats_ms.flags``), the per-student keys of a pack, the record fields of a checkpoint,
the API's per-method rules, ``create_loss`` and the ``check`` rows all read this registry.

Every objective maps (student logits (N, C), teacher logits (N, C), labels (N,), *hyper-parameters in the entry's
order) to a float32 scalar; its twin takes float64 numpy arrays and the same arguments. A method that declares
``uses_epoch`` also takes the 1-based epoch as the keyword ``epoch`` (objective and twin alike, no default), gets a
Cell that holds it (``EpochObjective``) and is checked at several epochs (``Method.check_epochs``).
"""
import importlib
from dataclasses import dataclass, field, replace
from typing import Callable

from ats_ms.utils.checks import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    check_bool,
    check_choice,
    check_temperature,
    check_unit_interval,
)
from ats_ms.utils.errors import UserError


@dataclass(frozen=True)
class HyperParameter:
    """One hyper-parameter of a method; also a flag and YAML key of ``distill`` (the same name everywhere).

    Args:
        name (str): flag, YAML key and ``create_loss`` keyword.
        type (type): float, int or bool.
        default: the method's default.
        validate (callable): ``validate(label, value) -> value`` raising UserError (``ats_ms.utils.checks``).
        help (str): one line for ``--help`` and docs/flags.md.
        check_values (tuple): values ``python -m ats_ms check`` combines (default: the default alone).
        short (str): its name in sweep cell names (default: ``name``).
    """
    name: str
    type: type
    default: object
    validate: Callable
    help: str
    check_values: tuple = ()
    short: str = ""


@dataclass(frozen=True)
class Method:
    """A distillation method.

    Args:
        name (str): the ``kd_way`` value.
        summary (str): one line for ``--help`` and the docs.
        hyper (tuple[HyperParameter]): its hyper-parameters, in the order its objective takes them.
        objective (str): ``"module:function"`` of the pure MindSpore objective.
        twin (str): ``"module:function"`` of the float64 numpy forward twin (same arguments).
        cell (str): ``"module:Class"`` of its Cell, built as ``Class(method, {hyper-parameter: value})``
            (default: ``Objective``, which calls the objective with the values in order, or ``EpochObjective`` for a
            method that ``uses_epoch``).
        needs_teacher (bool): whether the objective reads the teacher's logits.
        tied (dict): flags this method accepts but reads as one of its hyper-parameters (TS: ``tp_tau`` is
            ``t_tau``); a different explicit value is an error, the record holds the tied value.
        ignores (tuple): further flags it ignores (recorded as null), besides other methods' hyper-parameters.
        min_classes (int): the fewest classes its objective is defined for.
        uses_epoch (bool): the objective changes with the 1-based training epoch; objective and twin take it as the
            keyword ``epoch`` and ``create_loss``'s Cell offers ``set_epoch``.
        schedule (str): the hyper-parameter giving the length, in epochs, of its epoch-dependent schedule (DKD:
            ``dkd_warmup``); ``check`` runs it at the schedule's start, middle, end and after (``check_epochs``).
        learned_twin (str): for a Cell with trainable parameters of its own (CTKD's temperature), ``"module:function"``
            mapping the twin's arguments (with ``epoch``) to the float64 gradients of those parameters, in the Cell's
            ``trainable_params()`` order; ``check`` compares them.
    """
    name: str
    summary: str
    hyper: tuple
    objective: str
    twin: str
    cell: str = ""
    needs_teacher: bool = True
    tied: dict = field(default_factory=dict)
    ignores: tuple = ()
    min_classes: int = 1
    uses_epoch: bool = False
    schedule: str = ""
    learned_twin: str = ""

    @property
    def hyper_names(self):
        return tuple(h.name for h in self.hyper)

    def defaults(self):
        """{hyper-parameter: the method's default}."""
        return {h.name: h.default for h in self.hyper}

    def objective_fn(self):
        """The pure MindSpore objective (imports MindSpore)."""
        return _resolve(self.objective)

    def cell_cls(self):
        """The Cell class (imports MindSpore)."""
        default = "EpochObjective" if self.uses_epoch else "Objective"
        return _resolve(self.cell or f"ats_ms.losses.objective:{default}")

    def twin_fn(self):
        """The float64 numpy forward twin."""
        return _resolve(self.twin)

    def learned_twin_fn(self):
        """The float64 twin of the gradients of the Cell's own parameters (None without one)."""
        return _resolve(self.learned_twin) if self.learned_twin else None

    def epoch_keywords(self, epoch):
        """``{"epoch": epoch}`` for a method that ``uses_epoch``, else ``{}``: the keywords of objective and twin."""
        return {"epoch": float(epoch)} if self.uses_epoch else {}

    def check_epochs(self, values):
        """The 1-based epochs ``check`` runs ``values`` at: 1 for a method that does not use the epoch or whose schedule
        has length 0; the schedule's start, middle, end and twice its length (DKD at its defaults: 1, 10, 20, 40);
        1 and 10 for a method that uses the epoch without naming its schedule."""
        if not self.uses_epoch:
            return (1,)
        if not self.schedule:
            return (1, 10)
        length = int(values[self.schedule])
        return tuple(sorted({1, max(1, length // 2), length, 2 * length})) if length > 0 else (1,)

    def check_hyper(self, values, label=str):
        """{name: value} of every hyper-parameter: ``values`` checked, the method's default where missing or None.

        Raises:
            UserError: a name the method does not use (naming its own), or a value out of range.
        """
        unknown = sorted(set(values) - set(self.hyper_names))
        if unknown:
            own = f"only its hyper-parameters: {', '.join(self.hyper_names)}" if self.hyper else \
                "none of them (it has no hyper-parameter)"
            raise UserError(f"{', '.join(label(k) for k in unknown)} not used by kd_way {self.name}; expected {own}")
        out = {}
        for h in self.hyper:
            value = values.get(h.name)
            out[h.name] = h.default if value is None else h.validate(label(h.name), value)
        return out


def _resolve(ref):
    module, name = ref.split(":")
    return getattr(importlib.import_module(module), name)


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


def variant(hyper, default, check_values=None):
    """``hyper`` with a method's own default (and values for ``check``)."""
    return replace(hyper, default=default, **({} if check_values is None else {"check_values": check_values}))


_METHODS = {}
_GENERATION = [0]
MODULE, TWINS = "ats_ms.losses", "ats_ms.reference"


def generation():
    """How many methods have been registered: what is derived from the registry (flag rows, ``--help``, record
    fields) is rebuilt when it changes."""
    return _GENERATION[0]


def register(method):
    """Add ``method`` to the registry, at any time (its name must be new; a hyper-parameter name it shares with
    another method must have the same type, range and meaning); returns it.

    Raises:
        UserError (ValueError): the name is registered already, or a shared hyper-parameter differs.
    """
    if method.name.lower() in (name.lower() for name in _METHODS):
        raise UserError(f"kd_way {method.name} is registered twice; expected a new name")
    if method.schedule and (not method.uses_epoch or method.schedule not in method.hyper_names):
        raise UserError(f"kd_way {method.name}'s schedule {method.schedule!r} must be one of its hyper-parameters and "
                        f"the method must declare uses_epoch=True")
    for h in method.hyper:
        for other in _METHODS.values():
            same = next((o for o in other.hyper if o.name == h.name), None)
            if same is not None and (same.type, same.validate, same.help) != (h.type, h.validate, h.help):
                raise UserError(f"hyper-parameter {h.name} of {method.name} differs from {other.name}'s in type, "
                                f"range or meaning; expected one definition per name (only its default may differ: "
                                f"registry.variant)")
    _METHODS[method.name] = method
    _GENERATION[0] += 1
    return method

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


def names():
    """The registered ``kd_way`` values, in registration order."""
    return tuple(_METHODS)


def get(kd_way, label="kd_way"):
    """The Method of ``kd_way`` (case-insensitive); UserError naming the registered ones otherwise."""
    return _METHODS[check_choice(label, kd_way, names())]


def methods():
    """Every registered Method."""
    return tuple(_METHODS.values())


def hyper_parameters():
    """{name: HyperParameter} over every method, first registration first (the distillation flags)."""
    out = {}
    for method in _METHODS.values():
        for h in method.hyper:
            out.setdefault(h.name, h)
    return out


def per_method_keys():
    """The keys that vary per method: ``kd_way`` and every hyper-parameter (what runs of one pack may differ in)."""
    return ("kd_way",) + tuple(hyper_parameters())


def ignored_flags(kd_way):
    """Flags ``kd_way`` ignores: the other methods' hyper-parameters and its own ``ignores`` (recorded as null)."""
    method = get(kd_way)
    others = set(hyper_parameters()) - set(method.hyper_names) - set(method.tied)
    return tuple(sorted(others | set(method.ignores)))


def resolve_method(values, sources, label=lambda name: f"--{name}"):
    """Apply ``values["kd_way"]``'s rules to a flag dict in place: its unset hyper-parameters take its defaults,
    tied flags take their hyper-parameter's value, ignored ones become None.

    Args:
        values (dict): flag values (``kd_way`` and the hyper-parameters).
        sources (dict): where each came from; an ignored or contradicting tied flag is refused only when
            ``given`` (command line or keyword), YAML values of other methods are ignored.

    Raises:
        UserError: a given hyper-parameter the method does not use, a tied flag that contradicts, a bad value.
    """
    method = get(values["kd_way"], label("kd_way"))
    values["kd_way"] = method.name
    given = {h: values[h] for h in hyper_parameters() if h in values and sources.get(h) == "given"
             and h not in method.hyper_names and h not in method.tied and values[h] is not None}
    if given:
        method.check_hyper(given, label)
    own = {h: values.get(h) for h in method.hyper_names}
    values.update(method.check_hyper(own, label))
    for flag, target in method.tied.items():
        if sources.get(flag, "default") != "default" and values.get(flag) is not None:
            _check_tied(method, flag, values[flag], values[target], label)
        values[flag] = values[target]
    for flag in ignored_flags(method.name):
        if flag in hyper_parameters() and flag in values:
            values[flag] = None
    return values


def create_loss(kd_way, **hyper):
    """A method's whole objective as a Cell taking (s_logits (N, C), t_logits (N, C), labels (N,)) -> float32 scalar.

    Args:
        kd_way (str): a registered method (``names()``), case-insensitive.
        **hyper: its hyper-parameters; unset ones take the method's defaults.

    Raises:
        UserError (ValueError): unknown method, a hyper-parameter it does not use (the message names its own), or a
            value out of range.
    """
    method = get(kd_way)
    tied = {k: hyper.pop(k) for k in list(hyper) if k in method.tied}
    values = method.check_hyper(hyper, label=str)
    for flag, value in tied.items():
        if value is not None:
            _check_tied(method, flag, value, values[method.tied[flag]], str)
    return method.cell_cls()(method, values)


def _check_tied(method, flag, value, target_value, label):
    """A tied flag given explicitly must equal its hyper-parameter (checked by that hyper-parameter's range)."""
    target = method.tied[flag]
    validate = next(h.validate for h in method.hyper if h.name == target)
    if validate(label(flag), value) != target_value:
        raise UserError(f"kd_way {method.name} uses one value for {label(flag)} and {label(target)} "
                        f"({target_value}), but {label(flag)} is {value}; expected equal values, or another kd_way")

