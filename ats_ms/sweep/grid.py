"""The syntax of a sweep's grid: ``--grid`` groups (``kd_way=ATS tp_tau=3,4 t_tau=2``, or YAML mappings), their
canonical text, ``--heatmap METHOD:AXIS,AXIS`` and the groups of a sweep's flag values (``grid_groups``: the
``--grid`` groups, else the classic ATS grid ``--tp_taus`` x ``--t_taus``). The flag table uses the checks as the
validators of ``--grid`` and ``--heatmap``, so this module reads only the method registry and the flag type."""
from ats_ms.config.flag import Flag, coerce, format_value
from ats_ms.losses import registry
from ats_ms.utils.errors import UserError

OTHERS = "others"  # the kd_way of a group standing for every method without a group of its own


def _hyper_flag(name):
    """Hyper-parameter ``name`` as a flag taking a list of distinct values."""
    h = registry.hyper_parameters()[name]
    return Flag(h.name, h.type, None, h.help, "distillation", validate=h.validate, many="unique")


GRID_EXAMPLE = "'kd_way=ATS tp_tau=3,4 t_tau=2'"


def _grid_items(label, value):
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    items = []
    for word in str(value).split():
        key, sep, text = word.partition("=")
        if not sep or not key or not text:
            raise UserError(f"{label}={value!r}: {word!r} is not key=values; expected e.g. {GRID_EXAMPLE}")
        items.append((key, text))
    return items


def parse_grid(label, value):
    """One ``--grid`` group (text ``kd_way=M key=v,v ...`` or a YAML mapping) as (method name, {hyper-parameter:
    tuple of checked values}) in the method's order; UserError for anything else."""
    items = _grid_items(label, value)
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise UserError(f"{label}={value!r} names a key twice; expected each key once")
    given = dict(items)
    if "kd_way" not in given:
        raise UserError(f"{label}={value!r} names no method; expected kd_way=METHOD and value lists, e.g. "
                        f"{GRID_EXAMPLE}")
    if str(given["kd_way"]).strip().lower() == OTHERS:
        if len(given) > 1:
            raise UserError(f"{label}={value!r}: kd_way={OTHERS} takes every other method at its defaults; expected "
                            f"no values beside it (a method's own values: a group of its own)")
        return OTHERS, {}
    method = registry.get(given.pop("kd_way"), f"{label}: kd_way")
    unknown = sorted(set(given) - set(method.hyper_names))
    if unknown:
        own = ", ".join(method.hyper_names) or "none"
        raise UserError(f"{label}={value!r}: {', '.join(unknown)} not a hyper-parameter of kd_way {method.name}; "
                        f"expected some of: {own}")
    return method.name, {name: _grid_values(label, value, name, given[name])
                         for name in method.hyper_names if name in given}


def _grid_values(label, value, name, text):
    """The checked values of one grid key; a value of the wrong type names the key (not the whole ``--grid``)."""
    try:
        return coerce(_hyper_flag(name), text, label)
    except UserError as exc:
        if "has the wrong type" not in str(exc):
            raise
        kind = registry.hyper_parameters()[name].type.__name__
        raise UserError(f"{label}={value!r}: {name}={text!r} is not a list of {kind} values; expected e.g. "
                        f"{GRID_EXAMPLE}") from None


def grid_text(kd_way, values):
    """The canonical text of a grid group (what a config holds and its effective YAML repeats)."""
    return " ".join([f"kd_way={kd_way}"] + [f"{k}={format_value(v)}" for k, v in values.items()])


def check_grid(label, value):
    """A ``--grid`` group, checked, as its canonical text."""
    return grid_text(*parse_grid(label, value))


check_grid.expected = ""  # the help says it


def check_heatmap(label, value):
    """``METHOD:AXIS,AXIS`` with two different hyper-parameters of a registered method, canonical."""
    kd_way, sep, axes = str(value).partition(":")
    axes = [a.strip() for a in axes.split(",") if a.strip()]
    if not sep or len(axes) != 2 or axes[0] == axes[1]:
        raise UserError(f"{label}={value!r} is invalid; expected METHOD:AXIS,AXIS, e.g. ATS:tp_tau,t_tau")
    method = registry.get(kd_way.strip(), f"{label}: METHOD")
    unknown = [a for a in axes if a not in method.hyper_names]
    if unknown:
        raise UserError(f"{label}={value!r}: {', '.join(unknown)} not a hyper-parameter of kd_way {method.name}; "
                        f"expected two of: {', '.join(method.hyper_names) or 'none'}")
    return f"{method.name}:{axes[0]},{axes[1]}"


check_heatmap.expected = "METHOD:AXIS,AXIS, e.g. ATS:tp_tau,t_tau"


def grid_groups(values):
    """The cell groups of a sweep's flag values: [(kd_way, {hyper-parameter: tuple of values})], from ``--grid``
    (a ``kd_way=others`` group stands, where it is, for every registered method without a group of its own, each at
    its defaults: a comparison names only the methods it sets, and a method registered later joins it), else the
    classic ATS grid ``--tp_taus`` x ``--t_taus``."""
    if not values.get("grid"):
        return [("ATS", {"tp_tau": tuple(values["tp_taus"]), "t_tau": tuple(values["t_taus"])})]
    groups = [parse_grid("--grid", text) for text in values["grid"]]
    if sum(kd_way == OTHERS for kd_way, _ in groups) > 1:
        raise UserError(f"--grid gives kd_way={OTHERS} twice; expected it once")
    named = {kd_way for kd_way, _ in groups}
    out = []
    for kd_way, group in groups:
        out += [(name, {}) for name in registry.names() if name not in named] if kd_way == OTHERS else \
            [(kd_way, group)]
    return out
