"""The project's user-facing error type.

Anything a user can cause (a bad flag, a missing file, a checkpoint of another network) raises ``UserError``; the
command-line edge turns it into one ``error: ...`` line and exit status 2. Value checks live in ``checks``. Messages
name flags (``--overwrite True``); the Python API's entry points rewrite them to keywords (``overwrite=True``).
"""
import contextvars
import functools
import re


class UserError(ValueError):
    """An error caused by the user's input; its message is one line saying what was wrong and what was expected."""


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
