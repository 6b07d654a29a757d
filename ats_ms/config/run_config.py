"""``RunConfig``: a validated configuration, read-only, made only by ``ats_ms.make_config``
(``ats_ms.config.make``).
"""
_TOKEN = object()


class RunConfig:
    """A validated configuration: one value per flag of ``command``, read-only.

    Made only by ``ats_ms.make_config`` (so code that receives one knows every value was checked). Values are
    attributes (``config.lr``); ``sources[name]`` says where each came from (``default``, ``yaml``, ``given``,
    ``record``: taken from a checkpoint's record, or ``environment``: msrun's DEVICE_ID). ``trains`` says whether
    ``ats_ms.train`` runs it and ``needs_teacher`` whether it reads a teacher. What a flag is (volatile, a path,
    per student, its default) is read from the flag table (``ats_ms.config.flags``), not carried by the config.
    ``replace(**changes)`` returns a new, re-validated config. A RunConfig can be copied, deep-copied and pickled
    (multiprocessing, external schedulers).
    """

    __slots__ = ("command", "sources", "_values", "_remake", "trains", "needs_teacher")

    def __init__(self, command, values, sources, remake, token=None, trains=False, needs_teacher=False):
        if token is not _TOKEN:
            raise TypeError("a RunConfig is made by ats_ms.make_config(command, config_file=None, **overrides)")
        for name, value in (("command", command), ("sources", dict(sources)), ("_values", dict(values)),
                            ("_remake", remake), ("trains", bool(trains)), ("needs_teacher", bool(needs_teacher))):
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        if name.startswith("__") or name in RunConfig.__slots__:
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self.command} config has no flag {name!r}") from None

    def __setattr__(self, name, value):
        raise AttributeError("a RunConfig is read-only; use config.replace(name=value)")

    def __reduce__(self):
        return (_restore, (self.command, self._values, self.sources, self._remake, self.trains, self.needs_teacher))

    def __eq__(self, other):
        return isinstance(other, RunConfig) and (self.command, self._values, self.sources) == \
            (other.command, other._values, other.sources)

    def __hash__(self):
        return hash((self.command, tuple(sorted((k, repr(v)) for k, v in self._values.items()))))

    def __repr__(self):
        return f"RunConfig({self.command!r}, " + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    def to_dict(self):
        """{flag: value} (a copy)."""
        return dict(self._values)

    def replace(self, **changes):
        """A new config with ``changes`` applied as given values and validated again."""
        return self._remake(self, changes)


def _restore(command, values, sources, remake, trains, needs_teacher):
    return RunConfig(command, values, sources, remake, _TOKEN, trains, needs_teacher)


def new_config(command, values, sources, remake, trains=False, needs_teacher=False):
    """Make a RunConfig (for ``make_config`` only, after every check passed)."""
    return RunConfig(command, values, sources, remake, _TOKEN, trains, needs_teacher)
