"""The tau_1 x tau_2 sweep (paper Fig. 10): one ATS distillation per (tp_tau, t_tau, seed) cell, trained in packs.

Cells of one seed see the same batches, so ``--pack K`` trains K of them in one graph sharing one teacher forward
per batch (``ats_ms.train_pack``); each cell keeps its own files: ``{out_dir}/ckpts/sweep-tp{tp}-t{t}-seed{s}.ckpt``
(and ``-best``, ``.resume``), ``{out_dir}/logs/<cell>.log``, ``.metrics.jsonl`` and ``.config.yaml``. A finished cell
is skipped; an interrupted one continues after its last finished epoch, packed with the cells of the same seed and
progress. Workers (one per device, several machines sharing the folder) divide the grid through claim files
(``ats_ms.analysis.claims``). Results: last- and best-epoch test accuracy per cell, mean and sample standard deviation
over the seeds, the best cell, the best TS (diagonal) cell and their difference, as text, CSV/JSON and a heatmap.
"""
import argparse
import itertools
import json
import os
import time

import numpy as np

from ats_ms.analysis import figures, textplot
from ats_ms.analysis.io import write_rows
from ats_ms.utils import logs

CELL_NAMES = ("ckpt_dir", "ckpt_name", "log_name")  # where a cell's files are, not how it was trained


def cell_name(tp, t, seed):
    return f"sweep-tp{tp:g}-t{t:g}-seed{seed}"


def cell_dirs(out_dir):
    """The checkpoint and log folders of the cells of sweep folder ``out_dir``."""
    return {"ckpt_dir": os.path.join(out_dir, "ckpts"), "log_dir": os.path.join(out_dir, "logs")}


def cell_files(out_dir, name):
    """The final checkpoint and the metrics file of cell ``name`` in sweep folder ``out_dir`` (``naming.run_paths``
    of the cell)."""
    from ats_ms.utils import naming
    paths = naming.run_paths(argparse.Namespace(**cell_dirs(out_dir), ckpt_name=f"{name}.ckpt",
                                                log_name=f"{name}.log"))
    return {"ckpt": paths["ckpt"], "metrics": paths["metrics"]}


def grid_cells(tp_taus, t_taus, seeds):
    """Every (tp, t, seed) cell, in a fixed order."""
    return list(itertools.product(tp_taus, t_taus, seeds))


def out_dir_of(config):
    """``--out_dir``, else ``outputs/sweep/<name of the --config file>``."""
    if config.out_dir:
        return config.out_dir
    name = os.path.splitext(os.path.basename(config.config))[0] if config.config else "sweep"
    return os.path.join("outputs", "sweep", name)


def base_config(config, out_dir):
    """The distill config every cell starts from: the sweep's flags, the teacher found from the config (``t_ckpt``,
    else its ``ckpt_dir``; never the sweep's folder), outputs in ``out_dir``, kd_way ATS, resume on."""
    from ats_ms.api import make_config
    from ats_ms.flags import COMMANDS
    values = {k: v for k, v in config.to_dict().items() if k in COMMANDS["distill"].flags and k != "config"}
    values.update(kd_way="ATS", t_ckpt=config.t_ckpt, **cell_dirs(out_dir), resume=True, overwrite=False)
    return make_config("distill", **values)


def cell_config(base, cell):
    tp, t, seed = cell
    name = cell_name(*cell)
    return base.replace(tp_tau=tp, t_tau=t, seed=seed, ckpt_name=f"{name}.ckpt", log_name=f"{name}.log")


def _epochs_done(config):
    """Epochs finished by an interrupted cell (0 without a resume file)."""
    from ats_ms.engine.state import epochs_done
    from ats_ms.utils import naming
    return epochs_done(naming.run_paths(config)["resume"])


def _finished(config):
    from ats_ms.utils import naming
    return os.path.isfile(naming.run_paths(config)["ckpt"])


class SweepWorker:
    """Trains the cells of a grid that no other worker holds, pack by pack, until none is left.

    Args:
        config (RunConfig): the sweep's config (``make_config("sweep", ...)``).
        emit (callable | None): receives each output line (default: the ``ats_ms`` logger).
    """

    def __init__(self, config, emit=None):
        self.config, self.emit = config, emit or logs.log_line
        self.out_dir = out_dir_of(config)
        self.cells = grid_cells(config.tp_taus, config.t_taus, config.seeds)
        self.base = base_config(config, self.out_dir)
        self.configs = {cell: cell_config(self.base, cell) for cell in self.cells}
        self.claims, self.status = None, {}

    def pack_limit(self, teacher):
        """``--pack``, or what the memory estimate allows for a seed's cells (printed)."""
        per_seed = len(self.config.tp_taus) * len(self.config.t_taus)
        if self.config.pack:
            return min(self.config.pack, per_seed)
        from ats_ms.engine.memory import pack_size
        from ats_ms.models import create_model
        c = self.base
        student = create_model(c.net_name, c.n_classes, style=c.net_style)
        k, line = pack_size(student, teacher, c.batch_size, c.device_target, c.device_id, per_seed)
        self.emit(f"[sweep] {line}")
        return k

    def check_trained_cells(self):
        """Cells of ``out_dir`` already trained (finished or half-done) must have this sweep's settings, else a
        re-run would mix two grids in one report."""
        from ats_ms.engine.state import config_changes, saved_config
        from ats_ms.utils import naming
        from ats_ms.utils.errors import UserError
        for cell, config in self.configs.items():
            stored = saved_config(naming.run_paths(config))
            changed = config_changes(stored, config, CELL_NAMES, stored_keys_only=True) if stored is not None else []
            if changed:
                raise UserError(f"{cell_name(*cell)} in {self.out_dir} was trained with other settings (changed: "
                                f"{', '.join(changed)}); expected the flags it was trained with, or a new --out_dir")

    def _next_pack(self, limit):
        pending = [cell for cell in self.cells if not _finished(self.configs[cell])
                   and not self.claims.is_failed(cell_name(*cell))]
        groups = {}
        for cell in pending:
            groups.setdefault((cell[2], _epochs_done(self.configs[cell])), []).append(cell)
        for (_, epoch), group in groups.items():
            taken = []
            for cell in group:
                name = cell_name(*cell)
                if not self.claims.try_claim(name):
                    continue
                if _finished(self.configs[cell]) or _epochs_done(self.configs[cell]) != epoch:
                    self.claims.release(name)
                    continue
                taken.append(cell)
                if len(taken) == limit:
                    break
            if taken:
                return taken, epoch
        return [], 0

    def run(self):
        """Train until no cell is left for this worker; returns {cell name: done | failed}."""
        from ats_ms.analysis.claims import Claims
        from ats_ms.api import train_pack
        from ats_ms.data.pipeline import check_labels
        from ats_ms.engine.trainer import load_teacher, open_splits
        self.check_trained_cells()
        teacher = load_teacher(self.base)  # the teacher checkpoint is read, strictly, before any data or cell
        data = open_splits(self.base)  # once for every pack, and checked before anything is written
        for split in data:
            check_labels(split.labels, self.base.n_classes, f"{self.base.dataset} {split.split}")
        self.claims = Claims(os.path.join(self.out_dir, "claims"), self.config.claim_timeout)
        done_before = sum(_finished(c) for c in self.configs.values())
        self.emit(f"[sweep] {len(self.cells)} cells ({len(self.config.tp_taus)} tp_tau x {len(self.config.t_taus)} "
                  f"t_tau x {len(self.config.seeds)} seeds), {done_before} already done; outputs in {self.out_dir}")
        limit = self.pack_limit(teacher)
        seconds_per_cell = []
        while True:
            pack, epoch = self._next_pack(limit)
            if not pack:
                break
            names = [cell_name(*cell) for cell in pack]
            self.emit(f"[sweep] pack of {len(pack)} (seed {pack[0][2]}, from epoch {epoch + 1}): {', '.join(names)}")
            start = time.time()
            try:
                with self.claims.heartbeat(names):
                    results = train_pack([self.configs[cell] for cell in pack], emit=self.emit, labels=names,
                                         data=data)
                for name, result in zip(names, results):
                    self.status[name] = result["status"]
                    if result["status"] == "failed":
                        self.claims.mark_failed(name, f"error: {result['error']}")
                        self.emit(f"[sweep] {name} failed: {result['error']}")
            finally:
                for name in names:
                    self.claims.release(name)
            seconds_per_cell.append((time.time() - start) / len(pack))
            left = sum(not _finished(c) and not self.claims.is_failed(cell_name(*cell))
                       for cell, c in self.configs.items())
            per_cell = float(np.mean(seconds_per_cell))
            self.emit(f"[sweep] pack done in {logs.duration(time.time() - start)} ({logs.duration(per_cell)} per "
                      f"cell); {left} cells left, ETA {logs.duration(per_cell * left)} at this worker's pace")
        held = [cell_name(*cell) for cell, c in self.configs.items() if not _finished(c)
                and not self.claims.is_failed(cell_name(*cell))]
        if held:
            self.emit(f"[sweep] {len(held)} cells are held by other workers; run again with --report_only True when "
                      f"they finish")
        return self.status


def run_sweep(config, emit=None):
    """Everything ``python -m ats_ms sweep`` does for a ``sweep`` RunConfig: train this worker's share of the grid
    (unless ``report_only``), then write and print the report. Returns {cell name: done | failed}."""
    from ats_ms.utils import device
    emit = emit or logs.log_line
    if os.environ.get("MS_ROLE") == "MS_SCHED":
        emit("[sweep] msrun scheduler process: the workers share the grid through claim files; nothing to do here")
        return {}
    from ats_ms.utils.errors import UserError
    from ats_ms.utils.files import make_dir
    out_dir = out_dir_of(config)
    status = {}
    if config.report_only and not os.path.isdir(cell_dirs(out_dir)["log_dir"]):
        raise UserError(f"--report_only: {out_dir} holds no sweep (no logs folder); expected the --out_dir of a "
                        f"sweep (default outputs/sweep/<name of its --config>)")
    if not config.report_only:
        make_dir("out_dir", out_dir)
        device.configure(config.device_target, config.device_id, config.mode, config.seeds[0])
        status = SweepWorker(config, emit).run()
    title = os.path.splitext(os.path.basename(config.config))[0] if config.config else ""
    lines, figure = report(out_dir, config.tp_taus, config.t_taus, config.seeds, title)
    for line in lines + [f"table: {os.path.join(out_dir, 'sweep.csv')} and sweep.json",
                         f"figure: {figure}" if figure else "figure skipped: matplotlib is not installed"]:
        emit(line)
    return status


def _accuracies(out_dir, name):
    files = cell_files(out_dir, name)
    if not os.path.isfile(files["ckpt"]) or not os.path.isfile(files["metrics"]):
        return None
    with open(files["metrics"], encoding="utf-8") as f:
        accs = [json.loads(line)["test_acc"] for line in f if line.strip()]
    return (accs[-1], max(accs)) if accs else None


def _mean_std(values):
    if not values:
        return None, None
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else None)


def collect(out_dir, tp_taus, t_taus, seeds):
    """Per-cell rows (mean, sample std over the finished seeds, their count) and the two grids (NaN where missing)."""
    rows = []
    shape = (len(tp_taus), len(t_taus))
    last_grid, best_grid = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, tp in enumerate(tp_taus):
        for j, t in enumerate(t_taus):
            found = [a for a in (_accuracies(out_dir, cell_name(tp, t, s)) for s in seeds) if a is not None]
            last_mean, last_std = _mean_std([a[0] for a in found])
            best_mean, best_std = _mean_std([a[1] for a in found])
            failed = sum(os.path.exists(os.path.join(out_dir, "claims", f"{cell_name(tp, t, s)}.failed"))
                         for s in seeds)
            rows.append({"tp_tau": tp, "t_tau": t, "ts_diagonal": tp == t, "seeds": len(found), "failed": failed,
                         "last_mean": last_mean, "last_std": last_std, "best_mean": best_mean, "best_std": best_std})
            if found:
                last_grid[i, j], best_grid[i, j] = last_mean, best_mean
    return rows, last_grid, best_grid


def best_cells(rows, key="last_mean"):
    """{"best": row, "best_ts": diagonal row, "difference": best - best_ts} over the cells with results."""
    done = [r for r in rows if r[key] is not None]
    diagonal = [r for r in done if r["ts_diagonal"]]
    best = max(done, key=lambda r: r[key]) if done else None
    best_ts = max(diagonal, key=lambda r: r[key]) if diagonal else None
    difference = best[key] - best_ts[key] if best and best_ts else None
    return {"best": best, "best_ts": best_ts, "difference": difference}


def _cell_text(row, key):
    std = row[key.replace("mean", "std")]
    return f"{100 * row[key]:.2f}" + (f" ± {100 * std:.2f}" if std is not None else "") + f" % ({row['seeds']} seed" \
        + ("s" if row["seeds"] != 1 else "") + ")"


def best_lines(rows, key="last_mean"):
    found = best_cells(rows, key)
    if found["best"] is None:
        return ["no finished cell yet"]
    b, ts = found["best"], found["best_ts"]
    lines = [f"best cell: tp_tau {b['tp_tau']:g}, t_tau {b['t_tau']:g}: {_cell_text(b, key)}"]
    if ts:
        lines.append(f"best TS cell (tp_tau = t_tau = {ts['t_tau']:g}): {_cell_text(ts, key)}; best - best TS: "
                     f"{100 * found['difference']:+.2f} points")
    return lines


def table_lines(rows, t_taus, key="last_mean"):
    """Text heatmap: rows tp_tau, columns t_tau, cells 100 x mean accuracy (+- sample std over seeds; * marks the TS
    diagonal), each followed by a shade character from light (lowest of the grid) to dark (highest)."""
    lines = [f"{key.replace('_mean', '')}-epoch test accuracy (%), rows tp_tau, columns t_tau (* = TS), "
             f"mean ± sample std over seeds, shade {textplot.SHADES[0]} low .. {textplot.SHADES[-1]} high",
             "tp\\t  " + " ".join(f"{t:>11g}  " for t in t_taus)]
    values = [r[key] for r in rows if r[key] is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    by_tp = {}
    for row in rows:
        by_tp.setdefault(row["tp_tau"], []).append(row)
    for tp, cells in by_tp.items():
        text = []
        for r in cells:
            std = r[key.replace("mean", "std")]
            value = "-" if r[key] is None else f"{100 * r[key]:.1f}" + (f"±{100 * std:.1f}" if std is not None else "")
            mark = " " if r[key] is None else textplot.shade(r[key], lo, hi)
            text.append(f"{value + ('*' if r['ts_diagonal'] else ''):>11s} {mark}")
        lines.append(f"{tp:<6g}" + " ".join(text))
    return lines


def report(out_dir, tp_taus, t_taus, seeds, title=""):
    """Write sweep.csv, sweep.json and sweep.png; returns (lines, figure path or None)."""
    rows, last_grid, best_grid = collect(out_dir, tp_taus, t_taus, seeds)
    found = best_cells(rows)
    write_rows(rows, os.path.join(out_dir, "sweep.csv"), os.path.join(out_dir, "sweep.json"),
               {"tp_taus": list(tp_taus), "t_taus": list(t_taus), "seeds": list(seeds), **found})
    figure = figures.heatmap_figure(tp_taus, t_taus, last_grid.tolist(), best_grid.tolist(),
                                    os.path.join(out_dir, "sweep.png"), title)
    lines = table_lines(rows, t_taus, "last_mean") + best_lines(rows, "last_mean")
    lines += table_lines(rows, t_taus, "best_mean") + best_lines(rows, "best_mean")
    failed = sum(r["failed"] for r in rows)
    if failed:
        lines.append(f"{failed} cells failed (non-finite loss); see {os.path.join(out_dir, 'claims')}/*.failed")
    return lines, figure
