"""The project's exceptions: the user-facing error type, the two ways training ends early and a refused pickle.

Anything a user can cause (a bad flag, a missing file, a checkpoint of another network) raises ``UserError``; the
command-line edge turns it into one ``error: ...`` line and exit status 2. Value checks live in ``checks``. Messages
name flags (``--overwrite True``); the Python API's entry points rewrite them to keywords (``overwrite=True``).
"""
import contextvars
import functools
import os
import pickle
import re


class UserError(ValueError):
    """An error caused by the user's input; its message is one line saying what was wrong and what was expected."""


class ForbiddenGlobal(pickle.UnpicklingError):
    """A pickled file asked for a global outside ``ats_ms.data.safe_pickle.ALLOWED_GLOBALS``."""


class NonFiniteLoss(UserError):
    """Training produced a NaN/inf loss (exit status 3)."""


class Interrupted(UserError):
    """Ctrl-C during training (exit status 130): the message says where each run's resume file is.

    Args:
        members (list): the pack's runs (``paths["resume"]`` and ``history`` of each).
    """

    def __init__(self, members):
        saved = [f"{m.paths['resume']} (epoch {m.history[-1]['epoch']})" for m in members
                 if m.history and os.path.isfile(m.paths["resume"])]
        where = f"resume file{'s' if len(saved) > 1 else ''}: {', '.join(saved)}" if saved else \
            "no epoch had finished, so there is nothing to resume"
        super().__init__(f"interrupted during training; {where}")
        self.resumable = bool(saved)


COMMAND_LINE = contextvars.ContextVar("ats_ms_command_line", default=False)  # set by the command-line entry
_FLAG_VALUE = re.compile(r"--([a-z][a-z0-9_]*)(?:=| )(True|False|None|-?[0-9][0-9.e+-]*|'[^']*'|\"[^\"]*\"|"
                         r"[A-Z][A-Z_]*)(?=[\s,;:)]|$)")
_EXPECTED_WORD = re.compile(r"expected --([a-z][a-z0-9_]*) ([a-z][\w.-]*)(?=[,;:)]|$| or\b)")  # --normalize cifar,
_FLAG = re.compile(r"--([a-z][a-z0-9_]*)\b")


def keyword_spelling(message):
    """``message`` as a Python caller reads it: ``--overwrite True`` becomes ``overwrite=True`` and ``--flag`` alone
    ``flag`` (the keywords of ``ats_ms.make_config``)."""
    message = _EXPECTED_WORD.sub(r"expected \1=\2", _FLAG_VALUE.sub(r"\1=\2", message))
    return _FLAG.sub(r"\1", message)


def speak_keywords(function):
    """Decorate an API entry point: a UserError it raises names keywords, not flags, unless the command line
    called it (``COMMAND_LINE``)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except UserError as exc:
            if not COMMAND_LINE.get() and exc.args:
                exc.args = (keyword_spelling(str(exc.args[0])),) + exc.args[1:]
            raise
    return wrapper
