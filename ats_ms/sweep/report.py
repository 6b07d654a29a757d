"""The report of a sweep folder: per cell the last- and best-epoch test accuracy, mean ± sample standard deviation
over the finished seeds; per method the best cell and its values; heatmaps of two numeric axes of a method (the
best over its other axes); the TS diagonal (tp_tau == t_tau) wherever an ATS tp_tau x t_tau grid exists. Text,
CSV/JSON and a PNG (bars per cell, grouped by method, and the heatmaps).

A cell is done when its final checkpoint exists and it and the cell's metrics (and effective config) can be read
(``read_cell``); a damaged cell is never reported as done: the report refuses with one line naming it, and the sweep
trains it again (``ats_ms.sweep.worker``).
"""
import json
import math
import os

import numpy as np

from ats_ms.analysis import figures, textplot
from ats_ms.analysis.io import write_rows
from ats_ms.losses import registry
from ats_ms.sweep.cells import cell_dirs

KEYS = ("last_mean", "best_mean")


def cell_files(out_dir, name):
    """The final checkpoint and the metrics file of cell ``name`` in sweep folder ``out_dir``."""
    paths = cell_paths(out_dir, name)
    return {"ckpt": paths["ckpt"], "metrics": paths["metrics"]}


def cell_paths(out_dir, name):
    """Every file of cell ``name`` in sweep folder ``out_dir`` (``naming.run_paths``: ckpt, best, resume, log,
    metrics, config)."""
    from ats_ms.utils import naming
    return naming.run_paths({**cell_dirs(out_dir), "ckpt_name": f"{name}.ckpt", "log_name": f"{name}.log"})


def _read_metrics(path):
    """(test accuracies, epoch of the last line or None, None) of a metrics file, or (None, None, what is wrong)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None, None, f"metrics file {path} is missing"
    except UnicodeDecodeError:
        return None, None, f"metrics file {path} is not text"
    except OSError as exc:
        return None, None, f"metrics file {path} cannot be read ({exc.strerror or type(exc).__name__})"
    accs, epoch = [], None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return None, None, f"metrics file {path} line {number} is not a JSON record (cut short?)"
        acc = record.get("test_acc") if isinstance(record, dict) else None
        if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not math.isfinite(acc):
            return None, None, f"metrics file {path} line {number} holds no test accuracy"
        accs.append(float(acc))
        epoch = record.get("epoch") if isinstance(record.get("epoch"), int) else None
    if not accs:
        return None, None, f"metrics file {path} holds no epoch"
    return accs, epoch, None


def _config_damage(path):
    """What is wrong with a cell's effective config (None when it is a YAML mapping, or absent: older sweeps)."""
    import yaml
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, ValueError, yaml.YAMLError):
        return f"config file {path} cannot be read as YAML"
    return None if isinstance(data, dict) else f"config file {path} is not a YAML mapping of flags"


def _checkpoint_epoch(path):
    """(epoch recorded in checkpoint ``path`` or None, None), or (None, what is wrong): the checkpoint is parsed
    (about 0.1 s per 100 MB), its parameters are not loaded."""
    from ats_ms.models.checkpoint import RECORD_KEY, read_meta
    from ats_ms.utils.errors import UserError
    try:
        if os.path.getsize(path) == 0:
            return None, f"checkpoint {path} is empty"
        raw = read_meta(path, RECORD_KEY)
    except OSError as exc:
        return None, f"checkpoint {path} cannot be read ({exc.strerror or type(exc).__name__})"
    except UserError:
        return None, f"checkpoint {path} cannot be read (not a complete MindSpore checkpoint)"
    if raw is None:  # written before checkpoints carried a record
        return None, None
    try:
        record = json.loads(raw)
    except ValueError:
        return None, f"checkpoint {path} has an unreadable record"
    epoch = record.get("epoch") if isinstance(record, dict) else None
    return (epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None), None


def read_cell(out_dir, name):
    """What sweep folder ``out_dir`` holds of cell ``name``.

    A cell is finished when its final checkpoint exists. A finished cell is damaged when that checkpoint is empty
    or cannot be read, its metrics file is missing, unreadable, holds a line that is not a JSON record with a test
    accuracy, or ends at another epoch than the checkpoint, or its effective config is not YAML.

    Args:
        out_dir (str): the sweep folder.
        name (str): the cell's name.

    Returns:
        tuple: ``("pending", None)`` without a final checkpoint, ``("done", (last, best test accuracy))``, or
        ``("damaged", text naming the damaged file and what is wrong with it)``.
    """
    paths = cell_paths(out_dir, name)
    if not os.path.isfile(paths["ckpt"]):
        return "pending", None
    accs, last_epoch, damage = _read_metrics(paths["metrics"])
    damage = damage or _config_damage(paths["config"])
    if damage is None:
        epoch, damage = _checkpoint_epoch(paths["ckpt"])
        if damage is None and None not in (epoch, last_epoch) and epoch != last_epoch:
            damage = f"metrics file {paths['metrics']} ends at epoch {last_epoch}, but checkpoint {paths['ckpt']} " \
                     f"is of epoch {epoch}"
    return ("damaged", damage) if damage else ("done", (accs[-1], max(accs)))


def damaged_error(out_dir, damaged):
    """The UserError refusing a report of ``out_dir`` with ``damaged`` cells ({cell name: what is damaged})."""
    from ats_ms.utils.errors import UserError
    (name, what), others = next(iter(damaged.items())), list(damaged)[1:]
    more = f" (and {len(others)} more damaged cell{'s' if len(others) > 1 else ''}: {', '.join(others[:3])}" \
        f"{', ...' if len(others) > 3 else ''})" if others else ""
    return UserError(f"cell {name} of {out_dir} is damaged: {what}{more}; expected intact cell files (the sweep "
                     f"without --report_only trains a damaged cell again, its files kept as <file>.damaged-N); "
                     f"nothing was written")


def _mean_std(values):
    if not values:
        return None, None
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else None)


def collect(out_dir, cells):
    """One row per cell without its seed: kd_way, every hyper-parameter (None where the method has none), whether
    it is on the TS diagonal of ATS, finished seeds, failed seeds, last/best mean and sample std.

    Args:
        out_dir (str): the sweep folder.
        cells (list[Cell]): the grid's cells (``ats_ms.sweep.cells``).

    Returns:
        list[dict]: the rows.

    Raises:
        UserError: a finished cell is damaged (``read_cell``), naming it and the damaged file.
    """
    by_key, results, damaged = {}, {}, {}
    for cell in cells:
        by_key.setdefault(cell.key, []).append(cell)
        state, value = read_cell(out_dir, cell.name)
        if state == "damaged":
            damaged[cell.name] = value
        results[cell.name] = value if state == "done" else None
    if damaged:
        raise damaged_error(out_dir, damaged)
    rows = []
    for key, group in by_key.items():
        first = group[0]
        found = [results[c.name] for c in group if results[c.name] is not None]
        settings = first.settings
        row = {"cell": key, "kd_way": first.kd_way, **{h: settings.get(h) for h in registry.hyper_parameters()},
               "ts_diagonal": first.kd_way == "ATS" and settings["tp_tau"] == settings["t_tau"],
               "named_by": " ".join(first.shown),
               "seeds": len(found),
               "failed": sum(os.path.exists(os.path.join(out_dir, "claims", f"{c.name}.failed")) for c in group)}
        row["last_mean"], row["last_std"] = _mean_std([a[0] for a in found])
        row["best_mean"], row["best_std"] = _mean_std([a[1] for a in found])
        rows.append(row)
    return rows


def _best(rows, key):
    done = [r for r in rows if r[key] is not None]
    return max(done, key=lambda r: r[key]) if done else None


def best_cells(rows, key="last_mean"):
    """{"best": row, "best_ts": best ATS row with tp_tau == t_tau, "difference": best - best_ts, "per_method":
    {kd_way: best row}} over the cells with results."""
    best, best_ts = _best(rows, key), _best([r for r in rows if r["ts_diagonal"]], key)
    per_method = {}
    for row in rows:
        if row[key] is not None and (row["kd_way"] not in per_method or row[key] > per_method[row["kd_way"]][key]):
            per_method[row["kd_way"]] = row
    difference = best[key] - best_ts[key] if best and best_ts else None
    return {"best": best, "best_ts": best_ts, "difference": difference, "per_method": per_method}


def _cell_text(row, key):
    std = row[key.replace("mean", "std")]
    return f"{100 * row[key]:.2f}" + (f" ± {100 * std:.2f}" if std is not None else "") + f" % ({row['seeds']} seed" \
        + ("s" if row["seeds"] != 1 else "") + ")"


def _values_text(row, axes):
    return ", ".join(f"{k} {row[k]:g}" if isinstance(row[k], float) else f"{k} {row[k]}" for k in axes)


def varying_axes(rows, kd_way):
    """The hyper-parameters of ``kd_way`` that take several values among ``rows``."""
    mine = [r for r in rows if r["kd_way"] == kd_way]
    return [h for h in registry.get(kd_way).hyper_names if len({r[h] for r in mine}) > 1]


def named_axes(row):
    """The hyper-parameters the name of ``row``'s cell shows (``ats_ms.sweep.cells.make_cells``)."""
    return row["named_by"].split()


def best_lines(rows, key="last_mean", classic=False):
    """The best cell (classic grid: with tp_tau and t_tau) or the best cell of each method, then the best TS
    diagonal cell where an ATS tp_tau x t_tau grid exists."""
    found = best_cells(rows, key)
    if found["best"] is None:
        return ["no finished cell yet"]
    if classic:
        b = found["best"]
        lines = [f"best cell: tp_tau {b['tp_tau']:g}, t_tau {b['t_tau']:g}: {_cell_text(b, key)}"]
    else:
        lines = []
        for kd_way, b in found["per_method"].items():
            axes = named_axes(b)
            values = f" ({_values_text(b, axes)})" if axes else ""
            lines.append(f"best {kd_way} cell{values}: {_cell_text(b, key)}")
    ts = found["best_ts"]
    if ts and classic:
        lines.append(f"best TS cell (tp_tau = t_tau = {ts['t_tau']:g}): {_cell_text(ts, key)}; best - best TS: "
                     f"{100 * found['difference']:+.2f} points")
    elif ts and any(not r["ts_diagonal"] for r in rows if r["kd_way"] == "ATS"):
        gain = found["per_method"]["ATS"][key] - ts[key]
        lines.append(f"best ATS cell on the TS diagonal (tp_tau = t_tau = {ts['t_tau']:g}): {_cell_text(ts, key)}; "
                     f"best ATS - diagonal: {100 * gain:+.2f} points")
    return lines


def heatmap_grid(rows, kd_way, axes, key):
    """(row values, column values, grid of the best ``key`` over the other axes (NaN where missing), the rows
    behind each entry) of method ``kd_way`` on ``axes``."""
    mine = [r for r in rows if r["kd_way"] == kd_way]
    ys, xs = list(dict.fromkeys(r[axes[0]] for r in mine)), list(dict.fromkeys(r[axes[1]] for r in mine))
    grid = np.full((len(ys), len(xs)), np.nan)
    picked = [[None] * len(xs) for _ in ys]
    for r in mine:
        i, j = ys.index(r[axes[0]]), xs.index(r[axes[1]])
        if r[key] is not None and (picked[i][j] is None or r[key] > picked[i][j][key]):
            grid[i, j], picked[i][j] = r[key], r
    return ys, xs, grid, picked


def table_lines(rows, kd_way, axes, key="last_mean", others=()):
    """Text heatmap of ``kd_way`` over ``axes``: 100 x mean accuracy (± sample std over seeds; * marks the TS
    diagonal of ATS), each followed by a shade character from light (lowest) to dark (highest)."""
    ys, xs, grid, picked = heatmap_grid(rows, kd_way, axes, key)
    diagonal = kd_way == "ATS" and tuple(axes) == ("tp_tau", "t_tau")
    what = f"rows {axes[0]}, columns {axes[1]}" + (" (* = TS)" if diagonal else "")
    if others:
        what += f", best over {', '.join(others)}"
    title = "classic" if kd_way == "ATS" and diagonal and not others else kd_way
    head = f"{key.replace('_mean', '')}-epoch test accuracy (%)" + ("" if title == "classic" else f" of {kd_way}")
    lines = [f"{head}, {what}, mean ± sample std over seeds, shade {textplot.SHADES[0]} low .. "
             f"{textplot.SHADES[-1]} high",
             f"{'tp' if diagonal else axes[0][:4]}\\{'t' if diagonal else axes[1][:4]}".ljust(6)
             + " ".join(f"{x:>11g}  " for x in xs)]
    values = grid[np.isfinite(grid)]
    lo, hi = (values.min(), values.max()) if values.size else (0.0, 0.0)
    for i, y in enumerate(ys):
        text = []
        for j, x in enumerate(xs):
            r = picked[i][j]
            std = r[key.replace("mean", "std")] if r else None
            value = "-" if r is None else f"{100 * r[key]:.1f}" + (f"±{100 * std:.1f}" if std is not None else "")
            mark = " " if r is None else textplot.shade(r[key], lo, hi)
            text.append(f"{value + ('*' if diagonal and x == y else ''):>11s} {mark}")
        lines.append(f"{y:<6g}" + " ".join(text))
    return lines


def heatmaps(rows, chosen=None):
    """[(kd_way, (axis, axis), other varying axes)]: ``chosen`` (``METHOD:AXIS,AXIS``), else per method its first
    two numeric axes with several values."""
    if chosen:
        kd_way, axes = chosen.split(":")
        axes = tuple(axes.split(","))
        return [(kd_way, axes, [a for a in varying_axes(rows, kd_way) if a not in axes])]
    out = []
    for kd_way in dict.fromkeys(r["kd_way"] for r in rows):
        numeric = [a for a in varying_axes(rows, kd_way) if registry.hyper_parameters()[a].type in (int, float)]
        if len(numeric) >= 2:
            out.append((kd_way, tuple(numeric[:2]), numeric[2:]))
    return out


def cell_lines(rows):
    """One line per cell: its values, last- and best-epoch accuracy."""
    lines = ["cells (test accuracy %, mean ± sample std over seeds): last epoch | best epoch"]
    values = [_values_text(r, named_axes(r)) for r in rows]
    widths = [max([32] + [len(r["cell"]) for r in rows]), max([5] + [len(r["kd_way"]) for r in rows]),
              max([28] + [len(v) for v in values])]  # columns as wide as their longest entry
    for r, value in zip(rows, values):
        last = _cell_text(r, "last_mean") if r["last_mean"] is not None else "-"
        best = _cell_text(r, "best_mean") if r["best_mean"] is not None else "-"
        lines.append(f"  {r['cell']:<{widths[0]}s} {r['kd_way']:<{widths[1]}s} {value:<{widths[2]}s} {last} | {best}")
    return lines


def _pct(value):
    return None if value is None else round(100 * value, 4)


def ranking(rows, key="last_mean", baseline="KD"):
    """Each method's best cell, ranked by ``key`` (mean over seeds): the rows of ranking.csv and of sweep.json's
    "ranking", every accuracy in percent (columns ``*_pct``), ``minus_<baseline>_pct`` the difference to
    ``baseline``'s best cell in points (None without it)."""
    per_method = sorted(best_cells(rows, key)["per_method"].values(), key=lambda r: -r[key])
    base = next((r for r in per_method if r["kd_way"] == baseline), None)
    return [{"rank": i + 1, "kd_way": r["kd_way"], "cell": r["cell"], "seeds": r["seeds"],
             **{f"{k}_pct": _pct(r[k]) for k in ("last_mean", "last_std", "best_mean", "best_std")},
             f"minus_{baseline.lower()}_pct": None if base is None else _pct(r[key] - base[key])}
            for i, r in enumerate(per_method)]


def _seeds_text(seeds):
    return f"{seeds} seed" + ("s" if seeds != 1 else "")


def _pct_text(r, key, seeds=True):
    std = r[f"{key}_std_pct"]
    return f"{r[f'{key}_mean_pct']:.2f}" + (f" ± {std:.2f}" if std is not None else "") + " %" + \
        (f" ({_seeds_text(r['seeds'])})" if seeds else "")


def ranking_lines(ranked, baseline="KD"):
    """The methods ranked: mean ± sample std over seeds (last and best epoch) and the difference to ``baseline``;
    the seed count once in the title when every method has the same, else on each accuracy."""
    same = len({r["seeds"] for r in ranked}) == 1
    over = f"over {_seeds_text(ranked[0]['seeds'])}" if same else "over seeds"
    width = 16 if same else 26
    lines = [f"methods ranked by last-epoch test accuracy (each method's best cell; mean ± sample std {over}; "
             f"minus {baseline}: difference to {baseline} in points)",
             f"{'rank':<5s}{'method':<7s}{'last epoch':>{width}s} {'best epoch':>{width}s} {'minus ' + baseline:>9s}  "
             f"cell"]
    for r in ranked:
        diff = r[f"minus_{baseline.lower()}_pct"]
        best = _pct_text(r, "best", not same) if r["best_mean_pct"] is not None else "-"
        lines.append(f"{r['rank']:<5d}{r['kd_way']:<7s}{_pct_text(r, 'last', not same):>{width}s} {best:>{width}s} "
                     f"{'-' if diff is None else f'{diff:+.2f}':>9s}  {r['cell']}")
    return lines


def bars(rows):
    """The bars of the sweep figure: one per cell with results, grouped by method (in the grid's order), labelled
    by the values that distinguish it within its method (the method's name when it has one cell); accuracies in
    percent (``figures.sweep_figure``)."""
    out = []
    for kd_way in dict.fromkeys(r["kd_way"] for r in rows):
        mine = [r for r in rows if r["kd_way"] == kd_way and r["last_mean"] is not None]
        axes = varying_axes(mine, kd_way) if len(mine) > 1 else []
        for r in mine:
            label = ", ".join(f"{k} {r[k]:g}" if isinstance(r[k], float) else f"{k} {r[k]}" for k in axes)
            out.append({"method": kd_way, "label": label or (kd_way if len(mine) == 1 else r["cell"]),
                        "mean": 100 * r["last_mean"], "std": None if r["last_std"] is None else 100 * r["last_std"],
                        "ts": r["ts_diagonal"] and "tp_tau" in axes and "t_tau" in axes})
    return out


def report(out_dir, cells, title="", heatmap=None, classic=False):
    """Write sweep.csv, sweep.json, ranking.csv (several methods) and sweep.png for ``cells`` (``classic``: the ATS
    grid --tp_taus x --t_taus, reported as before --grid existed). sweep.png shows every cell's last-epoch accuracy
    as bars, with the heatmaps below when a method varies two numeric axes.

    Returns:
        tuple: (lines, figure path, or None: no finished cell, or no matplotlib).

    Raises:
        UserError: a finished cell is damaged (``read_cell``); nothing is written.
    """
    rows = collect(out_dir, cells)
    maps = [("ATS", ("tp_tau", "t_tau"), [])] if classic and not heatmap else heatmaps(rows, heatmap)
    found = best_cells(rows)
    ranked = ranking(rows) if len({r["kd_way"] for r in rows}) > 1 and found["best"] else []
    axes = {"tp_taus": list(dict.fromkeys(r["tp_tau"] for r in rows)),
            "t_taus": list(dict.fromkeys(r["t_tau"] for r in rows))} if classic else {}
    write_rows(rows, os.path.join(out_dir, "sweep.csv"), os.path.join(out_dir, "sweep.json"),
               {**axes, "cells": [c.name for c in cells], "seeds": sorted({c.seed for c in cells}), **found,
                "ranking": ranked})
    if ranked:
        from ats_ms.analysis.io import write_csv
        write_csv(ranked, os.path.join(out_dir, "ranking.csv"))
    panels = None
    if maps:
        kd_way, axes, others = maps[0]
        ys, xs, last, _ = heatmap_grid(rows, kd_way, axes, "last_mean")
        best = heatmap_grid(rows, kd_way, axes, "best_mean")[2]
        panels = {"tp_taus": ys, "t_taus": xs, "last": last.tolist(), "best": best.tolist(), "axes": axes,
                  "diagonal": kd_way == "ATS"}
    figure = figures.sweep_figure(bars(rows), os.path.join(out_dir, "sweep.png"), title, panels)
    lines = [] if classic else cell_lines(rows)
    for key in KEYS:
        for kd_way, axes, others in maps:
            lines += table_lines(rows, kd_way, axes, key, others)
        if not classic:
            lines.append(f"{key.replace('_mean', '')}-epoch test accuracy, the best cell of each method:")
        lines += best_lines(rows, key, classic)
    if ranked:
        lines += ranking_lines(ranked) + [f"ranking: {os.path.join(out_dir, 'ranking.csv')} (and sweep.json)"]
    failed = sum(r["failed"] for r in rows)
    if failed:
        lines.append(f"{failed} cells failed (non-finite loss); see {os.path.join(out_dir, 'claims')}/*.failed")
    return lines, figure
