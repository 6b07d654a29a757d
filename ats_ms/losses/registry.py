"""The registry of distillation methods (``kd_way``): how a method is described (``HyperParameter``, ``Method``) and
registered, and what reads the registry. The built-in methods are in ``ats_ms.losses.catalogue``, imported before the
registry is first read or added to; everything else is derived from the entries when needed.

An entry names the method, its hyper-parameters (flag name, type, default, range check, help), its pure MindSpore
objective, its Cell and its float64 numpy forward twin (as ``"module:attribute"`` strings, imported on first use, so
this module and the flag table never import MindSpore), the flags it ignores (recorded as null) and whether it needs
the teacher. The flag table (``ats_ms.config.flags``), the per-student keys of a pack, the record fields of a
checkpoint, the per-method rules of ``make_config``, ``create_loss`` and the ``check`` rows all read this registry.

Every objective maps (student logits (N, C), teacher logits (N, C), labels (N,), *hyper-parameters in the entry's
order) to a float32 scalar; its twin takes float64 numpy arrays and the same arguments. A method that declares
``uses_epoch`` also takes the 1-based epoch as the keyword ``epoch`` (objective and twin alike, no default), gets a
Cell that holds it (``EpochObjective``) and is checked at several epochs (``Method.check_epochs``).
"""
import importlib
from dataclasses import dataclass, field, replace
from typing import Callable

from ats_ms.utils.checks import check_choice
from ats_ms.utils.errors import UserError
from ats_ms.utils.refs import resolve

RESERVED = {"others": "a sweep's --grid kd_way=others stands for every method without a group of its own"}


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
        return resolve(self.objective)

    def cell_cls(self):
        """The Cell class (imports MindSpore)."""
        default = "EpochObjective" if self.uses_epoch else "Objective"
        return resolve(self.cell or f"ats_ms.losses.objective:{default}")

    def twin_fn(self):
        """The float64 numpy forward twin."""
        return resolve(self.twin)

    def learned_twin_fn(self):
        """The float64 twin of the gradients of the Cell's own parameters (None without one)."""
        return resolve(self.learned_twin) if self.learned_twin else None

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


def variant(hyper, default, check_values=None):
    """``hyper`` with a method's own default (and values for ``check``)."""
    return replace(hyper, default=default, **({} if check_values is None else {"check_values": check_values}))


_METHODS = {}
_GENERATION = [0]
_BUILTIN = {"module": "ats_ms.losses.catalogue", "loaded": False}


def _ensure_builtin():
    """Import the catalogue of built-in methods once, before anything reads or adds to the registry (so they come
    first whenever a user's method is registered)."""
    if not _BUILTIN["loaded"]:
        _BUILTIN["loaded"] = True  # the catalogue's own register calls must not import it again
        try:
            importlib.import_module(_BUILTIN["module"])
        except BaseException:
            _BUILTIN["loaded"] = False
            raise


def __getattr__(name):
    """The shared hyper-parameters (``T_TAU``, ``CE_WEIGHT``, ...) and range checks (``NON_NEGATIVE``, ...) under
    their earlier address, for plugins written before they moved to ``ats_ms.losses.catalogue``."""
    catalogue = importlib.import_module(_BUILTIN["module"])
    if name.isupper() and hasattr(catalogue, name):
        return getattr(catalogue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def generation():
    """How many methods have been registered: what is derived from the registry (flag rows, ``--help``, record
    fields) is rebuilt when it changes."""
    _ensure_builtin()
    return _GENERATION[0]


def register(method):
    """Add ``method`` to the registry, at any time (its name must be new; a hyper-parameter name it shares with
    another method must have the same type, range and meaning); returns it.

    Raises:
        UserError (ValueError): the name is registered already, or a shared hyper-parameter differs.
    """
    _ensure_builtin()
    if method.name.lower() in (name.lower() for name in _METHODS):
        raise UserError(f"kd_way {method.name} is registered twice; expected a new name")
    if method.name.lower() in RESERVED:
        raise UserError(f"kd_way {method.name} is a reserved word ({RESERVED[method.name.lower()]}); expected "
                        f"another name")
    if method.cell.endswith(":EpochObjective") and not method.uses_epoch:
        raise UserError(f"kd_way {method.name} has the Cell EpochObjective but does not declare uses_epoch=True; "
                        f"expected uses_epoch=True (its Cell follows from it)")
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

def names():
    """The registered ``kd_way`` values, in registration order."""
    _ensure_builtin()
    return tuple(_METHODS)


def get(kd_way, label="kd_way"):
    """The Method of ``kd_way`` (case-insensitive); UserError naming the registered ones otherwise."""
    return _METHODS[check_choice(label, kd_way, names())]


def methods():
    """Every registered Method."""
    _ensure_builtin()
    return tuple(_METHODS.values())


def hyper_parameters():
    """{name: HyperParameter} over every method, first registration first (the distillation flags)."""
    out = {}
    for method in methods():
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
            check_tied(method, flag, value, values[method.tied[flag]], str)
    return method.cell_cls()(method, values)


def check_tied(method, flag, value, target_value, label=str):
    """A tied flag given explicitly must equal its hyper-parameter (checked by that hyper-parameter's range)."""
    target = method.tied[flag]
    validate = next(h.validate for h in method.hyper if h.name == target)
    if validate(label(flag), value) != target_value:
        raise UserError(f"kd_way {method.name} uses one value for {label(flag)} and {label(target)} "
                        f"({target_value}), but {label(flag)} is {value}; expected equal values, or another kd_way")

