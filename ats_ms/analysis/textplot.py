"""Figures as text: a scatter-line chart and a shaded heatmap that print in a terminal and in a README.

They show the same data as the PNG figures (``figures``) and need no plotting library.
"""
import math

SHADES = ".:-=+x#%@"


def line_chart(x, series, title, height=10, width=60, logx=True):
    """Plot several series against one x axis with one character per point.

    Args:
        x (sequence[float]): x values (> 0 when ``logx``), shared by all series.
        series (list[tuple[str, str, sequence[float]]]): (label, marker character, y values) per series; where two
            series fall on the same cell the later one is drawn; non-finite values are left out.
        title (str): first line.
        height (int), width (int): plot area in characters.
        logx (bool): logarithmic x axis.

    Returns:
        list[str]: the chart, legend last.
    """
    fx = (lambda v: math.log10(v)) if logx else (lambda v: v)
    xs = [fx(v) for v in x]
    ys = [y for _, _, values in series for y in values if math.isfinite(y)] or [0.0]
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(0.0, min(ys)), max(ys)
    grid = [[" "] * width for _ in range(height)]
    for _, marker, values in series:
        for xv, yv in zip(xs, values):
            if not math.isfinite(yv):
                continue
            col = round((xv - x_lo) / ((x_hi - x_lo) or 1.0) * (width - 1))
            row = height - 1 - round((yv - y_lo) / ((y_hi - y_lo) or 1.0) * (height - 1))
            grid[row][col] = marker
    labels = {0: f"{y_hi:.3g}", height - 1: f"{y_lo:.3g}", (height - 1) // 2: f"{(y_hi + y_lo) / 2:.3g}"}
    lines = [title]
    lines += [f"{labels.get(r, ''):>8s} |" + "".join(row) for r, row in enumerate(grid)]
    lines.append(" " * 9 + "+" + "-" * width)
    left, right = f"{min(x):g}", f"{max(x):g}"
    axis = "tau (log scale)" if logx else "x"
    pad = max(1, width - len(left) - len(right) - len(axis))
    lines.append(" " * 10 + left + " " * (pad // 2) + axis + " " * (pad - pad // 2) + right)
    lines.append(" " * 10 + "   ".join(f"{marker} {label}" for label, marker, _ in series))
    return lines


def shade(value, lo, hi):
    """One character of ``SHADES`` for ``value`` on the scale lo..hi (darker = higher)."""
    if hi <= lo:
        return SHADES[-1]
    return SHADES[min(len(SHADES) - 1, int((value - lo) / (hi - lo) * len(SHADES)))]
