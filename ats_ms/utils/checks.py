"""The validators: every value check of the project, used by the flag table and by the public Cells alike.

Each ``check_*`` returns the (converted) value or raises ``UserError`` (a ``ValueError``) with one line naming the
parameter, the value and what was expected. ``label`` is how the value is named in the message (``tp_tau`` for a
loss argument, ``--tp_tau`` for a flag). The ``*_check`` factories build checks for the flag table.
"""
import math

from ats_ms.utils.errors import UserError


def _number(label, value, expected):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{label}={value!r} is not a number; expected {expected}")
    return value


def check_temperature(label, value):
    """``value`` as float if it is a finite number > 0."""
    value = float(_number(label, value, "a finite number > 0"))
    if not (value > 0 and math.isfinite(value)):
        raise UserError(f"{label}={value!r} is invalid; expected a finite number > 0")
    return value


check_temperature.expected = "a finite number > 0"


def check_unit_interval(label, value):
    """``value`` as float if it lies in [0, 1]."""
    value = float(_number(label, value, "a number in [0, 1]"))
    if not 0.0 <= value <= 1.0:
        raise UserError(f"{label}={value!r} is invalid; expected a number in [0, 1]")
    return value


check_unit_interval.expected = "a number in [0, 1]"


def check_choice(label, value, choices):
    """The canonical spelling of ``value`` among ``choices`` (strings compare case-insensitively)."""
    for choice in choices:
        if value == choice or (isinstance(value, str) and isinstance(choice, str) and value.lower() == choice.lower()):
            return choice
    raise UserError(f"{label}={value!r} is not allowed; expected one of {', '.join(map(str, choices))}")


def check_pair(label, value):
    """A ``tp_tau:t_tau`` pair (e.g. ``4:2``) as two temperatures."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        parts = value
    else:
        parts = str(value).split(":")
        if len(parts) != 2:
            raise UserError(f"{label}={value!r} is invalid; expected tp_tau:t_tau pairs like 4:2,6:3")
    try:
        return tuple(check_temperature(label, float(v)) for v in parts)
    except ValueError:
        raise UserError(f"{label}={value!r} is invalid; expected tp_tau:t_tau pairs like 4:2,6:3") from None


check_pair.expected = "tp_tau:t_tau pairs of temperatures > 0"


def range_check(low=None, high=None, low_open=False, high_open=False, integer=False):
    """A check accepting numbers in the given range (``None``: unbounded); NaN and inf are always refused.

    Example: ``range_check(0, 1, high_open=True)`` accepts [0, 1).
    """
    def text(bound):
        return str(int(bound)) if integer else f"{bound:g}"

    parts = []
    if low is not None:
        parts.append(f"> {text(low)}" if low_open else f">= {text(low)}")
    if high is not None:
        parts.append(f"< {text(high)}" if high_open else f"<= {text(high)}")
    kind = "an integer" if integer else "a finite number"
    expected = f"{kind} {' and '.join(parts)}".strip()
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        expected = f"{kind} in {left}{text(low)}, {text(high)}{right}"

    def check(label, value):
        _number(label, value, expected)
        ok = math.isfinite(value)
        ok = ok and (low is None or (value > low if low_open else value >= low))
        ok = ok and (high is None or (value < high if high_open else value <= high))
        if not ok:
            raise UserError(f"{label}={value!r} is invalid; expected {expected}")
        return value

    check.expected = expected
    return check


POSITIVE = range_check(0, low_open=True)
NON_NEGATIVE = range_check(0)
POSITIVE_INT = range_check(1, integer=True)
NON_NEGATIVE_INT = range_check(0, integer=True)
