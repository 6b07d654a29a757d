"""The project's user-facing error type.

Anything a user can cause (a bad flag, a missing file, a checkpoint of another network) raises ``UserError``; the
command-line edge turns it into one ``error: ...`` line and exit status 2. Value checks live in ``checks``.
"""


class UserError(ValueError):
    """An error caused by the user's input; its message is one line saying what was wrong and what was expected."""
