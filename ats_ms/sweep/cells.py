"""The cells of a sweep: one distillation per (method, hyper-parameter values, seed), named by what differs.

A sweep's groups come from ``--grid`` (``kd_way=ATS tp_tau=3,4 t_tau=2``: one cell per combination) or, without
it, from the classic ATS grid ``--tp_taus`` x ``--t_taus`` (``ats_ms.sweep.grid.grid_groups``). A cell's values are
its method's defaults, overridden by the sweep's own hyper-parameter flags and YAML keys, overridden by its group's
values.

Names: one rule writes every name (``cell_name``: ``sweep-{kd_way}-{short}{value}...-seed{s}``); what a name shows
depends on the grid (``NAMING_RULES``). A ``--grid`` cell shows its method, every value its group sets, every value
that differs from its method's default (e.g. set for every cell by a sweep flag such as ``--lamb 0.9``) and every
value that differs between the grid's cells (``kd_way=ATS tp_tau=4 t_tau=2`` beside ``kd_way=KD`` is
``sweep-ATS-tp4-t2-seed0``); the classic grid shows tp_tau and t_tau only (``sweep-tp4-t2-seed0``, as ever). A folder
whose cells were named by the earlier rule (only what differs between cells; the method only when several were
swept) keeps its names, so it resumes and reports as before (``sweep_cells``).
"""
import itertools
import os
from dataclasses import dataclass, replace

from ats_ms.losses import registry
from ats_ms.utils.errors import UserError


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep.

    Args:
        kd_way (str): its method.
        values (tuple): ((hyper-parameter, value), ...) of every hyper-parameter of the method, in its order.
        seed (int): its seed.
        name (str): its name (file stem of its checkpoint and log).
        shown (tuple): the hyper-parameters its name shows, in the method's order.
    """
    kd_way: str
    values: tuple
    seed: int
    name: str
    shown: tuple = ()

    @property
    def settings(self):
        return dict(self.values)

    @property
    def key(self):
        """The cell without its seed (what the report averages over seeds)."""
        return self.name.rsplit("-seed", 1)[0]


def _format(value):
    if isinstance(value, bool):
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def cell_values(kd_way, base, group):
    """The values of every hyper-parameter of ``kd_way`` for a cell: its defaults < ``base`` (the sweep's flags,
    None where unset) < ``group`` (the cell's own)."""
    method = registry.get(kd_way)
    given = {k: base[k] for k in method.hyper_names if base.get(k) is not None}
    given.update(group)
    return method.check_hyper(given)


def cell_name(kd_way, values, shown, seed):
    """The name of a cell: ``sweep``, its method if ``shown`` holds ``kd_way``, each shown hyper-parameter as its
    ``short`` name and value in the method's order, and its seed (``sweep-ATS-tp4-t2-seed0``)."""
    parts = ["sweep"] + ([kd_way] if "kd_way" in shown else [])
    hyper = registry.hyper_parameters()
    parts += [f"{hyper[k].short or k}{_format(v)}" for k, v in values.items() if k in shown]
    return "-".join(parts + [f"seed{seed}"])


def _shown_now(differ, by_group, changed, several):
    return differ | by_group | changed | {"kd_way"}


def _shown_earlier(differ, by_group, changed, several):
    return differ | ({"kd_way"} if several or not differ else set())


def _shown_classic(differ, by_group, changed, several):
    return {"tp_tau", "t_tau"}


# What a cell's name shows, by naming rule (``cell_name`` writes every name): ``now`` every value its group sets,
# that differs from its method's default or between cells, and the method; ``earlier`` (folders of an earlier version)
# only what differs between cells, the method when several are swept or nothing else differs; ``classic`` (the
# --tp_taus x --t_taus grid) tp_tau and t_tau: sweep-tp4-t2-seed0.
NAMING_RULES = {"now": _shown_now, "earlier": _shown_earlier, "classic": _shown_classic}


def make_cells(groups, base, seeds, rule="now"):
    """Every cell of ``groups`` ([(kd_way, {hyper-parameter: tuple of values})]) and ``seeds``, in a fixed order
    (group, combination, seed), named by ``NAMING_RULES[rule]``; UserError when two cells would be the same run."""
    combos = []
    for kd_way, group in groups:
        names = list(group)
        for chosen in itertools.product(*(group[n] for n in names)):
            combos.append((kd_way, cell_values(kd_way, base, dict(zip(names, chosen))), set(names)))
    differ = set()
    for name in registry.hyper_parameters():
        if len({values[name] for _, values, _ in combos if name in values}) > 1:
            differ.add(name)
    several = len({kd_way for kd_way, _, _ in combos}) > 1
    shows = NAMING_RULES[rule]
    cells, names, runs = [], set(), {}
    for kd_way, values, set_by_group in combos:
        defaults = registry.get(kd_way).defaults()
        changed = {k for k, v in values.items() if v != defaults[k]}
        shown = shows(differ, set_by_group & set(values), changed, several)
        for seed in seeds:
            name = cell_name(kd_way, values, shown, seed)
            cell = Cell(kd_way, tuple(values.items()), seed, name, tuple(k for k in values if k in shown))
            run = (kd_way, cell.values, seed)
            if name in names or run in runs:
                same = name if name in names else runs[run]
                also = "" if same == name else f" (also as {name}: a default gives the same values)"
                raise UserError(f"the grid holds the cell {same} twice{also}; expected each combination of method "
                                f"and values once")
            names.add(name)
            runs[run] = name
            cells.append(cell)
    return cells


def _has_files(out_dir, cells):
    """Whether sweep folder ``out_dir`` holds any file of ``cells`` (checkpoints, logs, metrics, claims)."""
    import glob

    from ats_ms.sweep.report import cell_paths
    return any(os.path.lexists(path) for cell in cells for path in cell_paths(out_dir, cell.name).values()) or \
        any(glob.glob(os.path.join(glob.escape(out_dir), "claims", glob.escape(cell.name) + ".*")) for cell in cells)


def sweep_cells(config, out_dir=None):
    """The cells of a sweep RunConfig; in sweep folder ``out_dir``, named by the earlier rule when the folder holds
    cells of that rule and none of the current one."""
    from ats_ms.sweep.grid import grid_groups
    values = config.to_dict()
    groups = grid_groups(values)
    if not config.grid:
        return make_cells(groups, values, config.seeds, "classic")
    cells = make_cells(groups, values, config.seeds)
    if out_dir is None or not os.path.isdir(out_dir):
        return cells
    legacy = make_cells(groups, values, config.seeds, "earlier")
    renamed = [(old, new) for old, new in zip(legacy, cells) if old.name != new.name]
    if renamed and _has_files(out_dir, [old for old, _ in renamed]) and \
            not _has_files(out_dir, [new for _, new in renamed]):
        return legacy
    return keep_stored_names(cells, out_dir)


def _stored_bases(out_dir):
    """{(kd_way, values): the name without its seed} of every cell sweep folder ``out_dir`` holds a config of (a
    finished cell's effective YAML, a half-done cell's resume state); cells whose config cannot be read are left to
    the worker, which names them."""
    import glob

    import yaml

    from ats_ms.engine.state import saved_config
    from ats_ms.sweep.report import cell_paths
    names = set()
    for folder, suffix in (("logs", ".config.yaml"), ("ckpts", ".resume.ckpt")):
        for path in glob.glob(os.path.join(glob.escape(out_dir), folder, "*" + suffix)):
            names.add(os.path.basename(path)[:-len(suffix)])
    bases = {}
    for name in sorted(names):
        try:
            stored = saved_config(cell_paths(out_dir, name))
        except (ValueError, OSError, yaml.YAMLError):
            continue
        if not isinstance(stored, dict) or stored.get("kd_way") not in registry.names() or "-seed" not in name:
            continue
        method = registry.get(stored["kd_way"])
        key = (method.name, tuple((h, stored.get(h)) for h in method.hyper_names))
        bases.setdefault(key, name.rsplit("-seed", 1)[0])
    return bases


def keep_stored_names(cells, out_dir):
    """``cells`` with the names sweep folder ``out_dir`` already gives their settings: a name depends on the grid
    (what differs between its cells), so a grid that grew (``kd_way=others`` after a method was registered, a new
    group) would otherwise rename finished cells and train them again. A cell keeps its computed name when the folder
    holds files of it, or when another cell of the grid has that name."""
    bases = _stored_bases(out_dir)
    computed = {cell.key for cell in cells}
    out = []
    for cell in cells:
        base = bases.get((cell.kd_way, cell.values))
        if base and base != cell.key and base not in computed and not _has_files(out_dir, [cell]):
            cell = replace(cell, name=f"{base}-seed{cell.seed}")
        out.append(cell)
    return out


def cell_dirs(out_dir):
    """The checkpoint and log folders of the cells of sweep folder ``out_dir``."""
    return {"ckpt_dir": os.path.join(out_dir, "ckpts"), "log_dir": os.path.join(out_dir, "logs")}


def base_overrides(config, out_dir):
    """The distill flags every cell shares: the sweep's values that are not defaults and not per method (the
    teacher found from the config, never the sweep's folder), outputs in ``out_dir``, resume on."""
    from ats_ms.config.flags import COMMANDS
    per_method = set(registry.per_method_keys())
    values = {k: v for k, v in config.to_dict().items() if k in COMMANDS["distill"].flags and k != "config"
              and k not in per_method and config.sources.get(k, "default") != "default"}
    values.update(t_ckpt=config.t_ckpt, **cell_dirs(out_dir), resume=True, overwrite=False)
    return values


def cell_config(base, cell):
    """The distill RunConfig of ``cell`` from ``base`` (``base_overrides``)."""
    from ats_ms.config.make import make_config
    return make_config("distill", **base, kd_way=cell.kd_way, **cell.settings, seed=cell.seed,
                       ckpt_name=f"{cell.name}.ckpt", log_name=f"{cell.name}.log")
