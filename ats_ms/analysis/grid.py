"""The cells of a sweep: one distillation per (method, hyper-parameter values, seed), named by what differs.

A sweep's groups come from ``--grid`` (``kd_way=ATS tp_tau=3,4 t_tau=2``: one cell per combination) or, without
it, from the classic ATS grid ``--tp_taus`` x ``--t_taus`` (``api.grid_groups``). A cell's values are its method's
defaults, overridden by the sweep's own hyper-parameter flags and YAML keys, overridden by its group's values.

Names: the classic grid keeps ``sweep-tp{tp}-t{t}-seed{s}``; any other grid names a cell ``sweep-{kd_way}-{key}{value}
...-seed{s}`` by its method, every value its ``--grid`` group sets, every value that differs from its method's default
(e.g. set for every cell by a sweep flag such as ``--lamb 0.9``) and every value that differs between the grid's
cells (a hyper-parameter's ``short`` name, e.g. ``tp``, ``t``, ``s`` for the temperatures): ``kd_way=ATS tp_tau=4
t_tau=2`` beside ``kd_way=KD`` is ``sweep-ATS-tp4-t2-seed0``. A folder whose cells were named by the earlier rule
(only what differs between cells; the method only when several were swept) keeps its names, so it resumes and
reports as before (``sweep_cells``).
"""
import itertools
import os
from dataclasses import dataclass

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


def _classic_name(kd_way, values, shown, seed):
    return f"sweep-tp{values['tp_tau']:g}-t{values['t_tau']:g}-seed{seed}"


def _generic_name(kd_way, values, shown, seed):
    parts = ["sweep"] + ([kd_way] if "kd_way" in shown else [])
    hyper = registry.hyper_parameters()
    parts += [f"{hyper[k].short or k}{_format(v)}" for k, v in values.items() if k in shown]
    return "-".join(parts + [f"seed{seed}"])


def make_cells(groups, base, seeds, classic=False, legacy=False):
    """Every cell of ``groups`` ([(kd_way, {hyper-parameter: tuple of values})]) and ``seeds``, in a fixed order
    (group, combination, seed); UserError when two cells would be the same run. ``legacy``: names by the earlier
    rule (only the values that differ between cells; the method when several are swept or nothing else differs)."""
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
    cells, names, runs = [], set(), {}
    for kd_way, values, set_by_group in combos:
        defaults = registry.get(kd_way).defaults()
        changed = {k for k, v in values.items() if v != defaults[k]}
        if legacy:
            shown = differ | ({"kd_way"} if several or not differ else set())
        else:
            shown = differ | (set_by_group & set(values)) | changed | {"kd_way"}
        for seed in seeds:
            name = (_classic_name if classic else _generic_name)(kd_way, values, shown, seed)
            named_by = ("tp_tau", "t_tau") if classic else tuple(k for k in values if k in shown)
            cell = Cell(kd_way, tuple(values.items()), seed, name, named_by)
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

    from ats_ms.analysis.sweep_report import cell_paths
    return any(os.path.lexists(path) for cell in cells for path in cell_paths(out_dir, cell.name).values()) or \
        any(glob.glob(os.path.join(glob.escape(out_dir), "claims", glob.escape(cell.name) + ".*")) for cell in cells)


def sweep_cells(config, out_dir=None):
    """The cells of a sweep RunConfig; in sweep folder ``out_dir``, named by the earlier rule when the folder holds
    cells of that rule and none of the current one."""
    from ats_ms.api import grid_groups
    values = config.to_dict()
    groups, classic = grid_groups(values), not config.grid
    cells = make_cells(groups, values, config.seeds, classic=classic)
    if classic or out_dir is None or not os.path.isdir(out_dir):
        return cells
    legacy = make_cells(groups, values, config.seeds, legacy=True)
    renamed = [(old, new) for old, new in zip(legacy, cells) if old.name != new.name]
    if renamed and _has_files(out_dir, [old for old, _ in renamed]) and \
            not _has_files(out_dir, [new for _, new in renamed]):
        return legacy
    return cells


def cell_dirs(out_dir):
    """The checkpoint and log folders of the cells of sweep folder ``out_dir``."""
    return {"ckpt_dir": os.path.join(out_dir, "ckpts"), "log_dir": os.path.join(out_dir, "logs")}


def base_overrides(config, out_dir):
    """The distill flags every cell shares: the sweep's values that are not defaults and not per method (the
    teacher found from the config, never the sweep's folder), outputs in ``out_dir``, resume on."""
    from ats_ms.flags import COMMANDS
    per_method = set(registry.per_method_keys())
    values = {k: v for k, v in config.to_dict().items() if k in COMMANDS["distill"].flags and k != "config"
              and k not in per_method and config.sources.get(k, "default") != "default"}
    values.update(t_ckpt=config.t_ckpt, **cell_dirs(out_dir), resume=True, overwrite=False)
    return values


def cell_config(base, cell):
    """The distill RunConfig of ``cell`` from ``base`` (``base_overrides``)."""
    from ats_ms.api import make_config
    return make_config("distill", **base, kd_way=cell.kd_way, **cell.settings, seed=cell.seed,
                       ckpt_name=f"{cell.name}.ckpt", log_name=f"{cell.name}.log")
