"""The cells of a sweep: one distillation per (method, hyper-parameter values, seed), named by what differs.

A sweep's groups come from ``--grid`` (``kd_way=ATS tp_tau=3,4 t_tau=2``: one cell per combination) or, without
it, from the classic ATS grid ``--tp_taus`` x ``--t_taus`` (``api.grid_groups``). A cell's values are its method's
defaults, overridden by the sweep's own hyper-parameter flags and YAML keys, overridden by its group's values.

Names: the classic grid keeps ``sweep-tp{tp}-t{t}-seed{s}`` (existing sweep folders resume and report as before);
any other grid names a cell by every value that differs between the grid's cells, ``sweep-{kd_way}-{key}{value}
...-seed{s}`` (``kd_way`` when several methods are swept or nothing else differs; a hyper-parameter's ``short``
name, e.g. ``tp``, ``t``, ``s`` for the temperatures).
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
    """
    kd_way: str
    values: tuple
    seed: int
    name: str

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


def make_cells(groups, base, seeds, classic=False):
    """Every cell of ``groups`` ([(kd_way, {hyper-parameter: tuple of values})]) and ``seeds``, in a fixed order
    (group, combination, seed); UserError when two cells would be the same run."""
    combos = []
    for kd_way, group in groups:
        names = list(group)
        for chosen in itertools.product(*(group[n] for n in names)):
            combos.append((kd_way, cell_values(kd_way, base, dict(zip(names, chosen)))))
    shown = set()
    for name in registry.hyper_parameters():
        if len({values[name] for _, values in combos if name in values}) > 1:
            shown.add(name)
    if len({kd_way for kd_way, _ in combos}) > 1 or not shown:
        shown.add("kd_way")
    naming = _classic_name if classic else _generic_name
    cells, seen = [], set()
    for kd_way, values in combos:
        for seed in seeds:
            cell = Cell(kd_way, tuple(values.items()), seed, naming(kd_way, values, shown, seed))
            if cell.name in seen:
                raise UserError(f"the grid holds the cell {cell.name} twice; expected each combination of method "
                                f"and values once")
            seen.add(cell.name)
            cells.append(cell)
    return cells


def sweep_cells(config):
    """The cells of a sweep RunConfig."""
    from ats_ms.api import grid_groups
    values = config.to_dict()
    return make_cells(grid_groups(values), values, config.seeds, classic=not config.grid)


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
