"""Figures (matplotlib is optional: without it, ``save`` returns None and the caller says the figure was skipped)."""
import os

import numpy as np

from ats_ms.analysis.temperature import curve


def pyplot():
    """matplotlib.pyplot with the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def temperature_figure(per_teacher, path):
    """Figs. 7/13: e(q) and sigma(q) against temperature, TS vs ATS, one column per teacher. Returns path or None.

    Args:
        per_teacher (dict): {teacher label: rows of ``temperature.statistics``}.
    """
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(2, len(per_teacher), figsize=(4.2 * len(per_teacher), 6.4), squeeze=False)
    for col, (name, rows) in enumerate(per_teacher.items()):
        for row_idx, key in enumerate(("e", "sigma")):
            ax = axes[row_idx][col]
            for method, style in (("TS", "o-"), ("ATS", "s--")):
                ax.plot(*curve(rows, method, key), style, ms=3, label=method)
            ax.set_xlabel("tau (ATS: tau_1 = 1.25 tau, tau_2 = 0.75 tau)", fontsize=8)
            ax.set_ylabel({"e": "e(q): mean wrong-class prob.", "sigma": "sigma(q): std of wrong-class prob."}[key])
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
    fig.tight_layout()
    return save_figure(fig, plt, path)


AXIS_LABELS = {"tp_tau": "tp_tau (tau_1, correct class)", "t_tau": "t_tau (tau_2, wrong classes)"}


def fitted_limits(lows, highs, margin=0.1, least=0.5):
    """(bottom, top) of an axis fitted to the data from ``min(lows)`` to ``max(highs)``, widened on each side by
    ``margin`` of that range (at least ``least``), so that small differences stay visible (not from 0).

    Args:
        lows (list[float]): the lowest point of each item (e.g. mean - std).
        highs (list[float]): the highest point of each item (e.g. mean + std).

    Returns:
        tuple: (bottom, top).
    """
    lo, hi = min(lows), max(highs)
    pad = max(margin * (hi - lo), least)
    return lo - pad, hi + pad


def _bar_axes(ax, bars, title):
    """Draw ``bars`` (see ``sweep_figure``) on ``ax``: one colour per method, a gap between methods, each bar's
    mean written above it, the y axis fitted to the data; the methods are named by a legend outside the axes."""
    methods = list(dict.fromkeys(b["method"] for b in bars))
    colours = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    xs, x, previous = [], -1.0, None
    for b in bars:
        x += 1.0 if previous in (None, b["method"]) else 1.6
        xs.append(x)
        previous = b["method"]
    stds = [b["std"] or 0.0 for b in bars]
    for m in methods:
        mine = [i for i, b in enumerate(bars) if b["method"] == m]
        ax.bar([xs[i] for i in mine], [bars[i]["mean"] for i in mine], yerr=[stds[i] for i in mine], capsize=3,
               color=colours[m], width=0.8, label=m, error_kw={"lw": 1},
               hatch=["//" if bars[i].get("ts") else "" for i in mine], edgecolor="white")
    from matplotlib.patches import Patch
    handles = [Patch(color=colours[m], label=m) for m in methods]
    if any(b.get("ts") for b in bars):
        handles.append(Patch(facecolor="white", edgecolor="gray", hatch="//", label="tp_tau = t_tau (TS)"))
    bottom, top = fitted_limits([b["mean"] - s for b, s in zip(bars, stds)],
                                [b["mean"] + s for b, s in zip(bars, stds)], margin=0.15)
    ax.set_ylim(bottom, top)
    for xi, b, s in zip(xs, bars, stds):
        ax.text(xi, b["mean"] + s + 0.02 * (top - bottom), f"{b['mean']:.1f}", ha="center", va="bottom",
                fontsize=7)
    labels = [b["label"] for b in bars]
    long = len(bars) > 8 or max(len(t) for t in labels) > 8
    ax.set_xticks(xs, labels, rotation=35 if long else 0, ha="right" if long else "center", fontsize=8)
    ax.set_ylabel("test accuracy (%), last epoch")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(handles=handles, title="method", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0)


def _heatmap_axes(fig, plt, panels, tp_taus, t_taus, last, best, title, axes, diagonal):
    """Draw the last- and best-epoch heatmaps (see ``heatmap_figure``) on the two axes ``panels``."""
    for ax, grid, name in ((panels[0], last, "last epoch"), (panels[1], best, "best epoch")):
        image = ax.imshow(100 * np.asarray(grid, dtype=float), cmap="viridis", origin="lower", aspect="auto")
        ax.set_xticks(range(len(t_taus)), [f"{t:g}" for t in t_taus])
        ax.set_yticks(range(len(tp_taus)), [f"{t:g}" for t in tp_taus])
        ax.set_xlabel(AXIS_LABELS.get(axes[1], axes[1]))
        ax.set_ylabel(AXIS_LABELS.get(axes[0], axes[0]))
        ax.set_title(f"{title} test accuracy, {name}".strip(), fontsize=9)
        for i, tp in enumerate(tp_taus):
            for j, t in enumerate(t_taus):
                value = grid[i][j]
                ax.text(j, i, "-" if value != value else f"{100 * value:.1f}", ha="center", va="center",
                        color="white", fontsize=8)
                if diagonal and tp == t:
                    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
        fig.colorbar(image, ax=ax, label="test accuracy (%)")
    if diagonal:
        fig.text(0.01, 0.01, "red boxes: tp_tau == t_tau (TS)", fontsize=8, color="red")


def heatmap_figure(tp_taus, t_taus, last, best, path, title="", axes=("tp_tau", "t_tau"), diagonal=True):
    """Fig. 10: student accuracy over two axes (rows ``axes[0]`` with values ``tp_taus``, columns ``axes[1]``),
    last and best epoch side by side; with ``diagonal`` the cells tp_tau == t_tau (TS) are boxed."""
    diagonal = diagonal and tuple(axes) == ("tp_tau", "t_tau")
    plt = pyplot()
    if plt is None:
        return None
    fig, panels = plt.subplots(1, 2, figsize=(11, 4.6))
    _heatmap_axes(fig, plt, panels, tp_taus, t_taus, last, best, title, axes, diagonal)
    fig.tight_layout(rect=(0, 0.04 if diagonal else 0, 1, 1))
    return save_figure(fig, plt, path)


def sweep_figure(bars, path, title="", heatmap=None):
    """The figure of a sweep report: the last-epoch test accuracy of every cell as bars (mean ± sample std over
    seeds, grouped and coloured by method, y axis fitted to the data); below it, when ``heatmap`` is given, the
    last- and best-epoch heatmaps of ``heatmap_figure``.

    Args:
        bars (list[dict]): one per cell with results, in drawing order: ``method``, ``label`` (tick label),
            ``mean`` and ``std`` (percent; ``std`` None with one seed), optional ``ts`` (True: hatched, a cell of
            the TS diagonal tp_tau == t_tau).
        path (str): the PNG to write.
        title (str): the sweep's name, put before the panel titles.
        heatmap (dict | None): keyword arguments of ``heatmap_figure`` (``tp_taus``, ``t_taus``, ``last``,
            ``best``, ``axes``, ``diagonal``), without ``path`` and ``title``.

    Returns:
        str | None: ``path``, or None when matplotlib is not installed or ``bars`` is empty.
    """
    plt = pyplot()
    if plt is None or not bars:
        return None
    seeds = "one seed: no error bar" if all(b["std"] is None for b in bars) else "mean ± sample std over seeds"
    bar_title = f"{title} last-epoch test accuracy per cell ({seeds})".strip()
    width = min(max(6.0, 0.45 * len(bars) + 3.0), 16.0)
    if heatmap is None:
        fig, ax = plt.subplots(figsize=(width, 4.6))
        _bar_axes(ax, bars, bar_title)
    else:
        fig = plt.figure(figsize=(max(width, 11.0), 9.4))
        grid = fig.add_gridspec(2, 2, height_ratios=(1.0, 1.0))
        _bar_axes(fig.add_subplot(grid[0, :]), bars, bar_title)
        diagonal = heatmap.get("diagonal", True) and tuple(heatmap["axes"]) == ("tp_tau", "t_tau")
        _heatmap_axes(fig, plt, [fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])], heatmap["tp_taus"],
                      heatmap["t_taus"], heatmap["last"], heatmap["best"], title, heatmap["axes"], diagonal)
    fig.tight_layout(rect=(0, 0.03 if heatmap and diagonal else 0, 1, 1))
    return save_figure(fig, plt, path)


def save_figure(fig, plt, path):
    """Save ``fig`` as PNG at ``path`` atomically (folder created); returns ``path``."""
    from ats_ms.utils.files import atomic_path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
