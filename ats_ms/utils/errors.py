"""The project's user-facing error type.

Anything a user can cause (a bad flag, a missing file, a checkpoint of another network) raises ``UserError``; the
command-line edge turns it into one ``error: ...`` line and exit status 2.
"""


class UserError(ValueError):
    """An error caused by the user's input; its message is one line saying what was wrong and what was expected."""


def check_temperature(name, value):
    """Return ``value`` as float if it is a finite number > 0, else raise UserError naming ``name``.

    Args:
        name (str): parameter name used in the message (e.g. ``"tp_tau"``).
        value: the value to check.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{name}={value!r} is not a number; expected a finite number > 0")
    value = float(value)
    if not (value > 0 and value != float("inf")):
        raise UserError(f"{name}={value!r} is invalid; expected a finite number > 0")
    return value


def check_unit_interval(name, value):
    """Return ``value`` as float if it lies in [0, 1], else raise UserError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{name}={value!r} is not a number; expected a number in [0, 1]")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise UserError(f"{name}={value!r} is invalid; expected a number in [0, 1]")
    return value


KD_WAYS = ("ATS", "TS", "none")


def check_kd_way(value):
    """Return the canonical spelling of ``value`` (``ATS``, ``TS`` or ``none``; case-insensitive) or raise UserError."""
    for way in KD_WAYS:
        if isinstance(value, str) and value.lower() == way.lower():
            return way
    raise UserError(f"kd_way={value!r} is unknown; expected one of {', '.join(KD_WAYS)}")
