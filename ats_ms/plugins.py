"""Plugins: modules that register their own methods, networks or datasets when imported.

The command line loads, before it reads any flag: every entry point of the group ``ats_ms.plugins`` of the installed
packages (in a package's ``pyproject.toml``: ``[project.entry-points."ats_ms.plugins"] name = "package.module"``),
then the modules named by the environment variable ``ATS_MS_PLUGINS`` (comma-separated), then each
``--plugin MODULE`` of the command line. A library user imports their module (or calls ``load_plugins``) instead.
Each module is imported once; one that fails to import is one UserError naming it.
"""
import importlib
import os

GROUP = "ats_ms.plugins"
ENVIRONMENT = "ATS_MS_PLUGINS"
FLAG = "--plugin"
_LOADED = {}
_MODULES = {}  # module path -> None, in loading order
_SCANNED = []  # the installed entry points are read once per process


def split_plugin_flags(argv):
    """(modules named by ``--plugin MODULE`` or ``--plugin=MODULE``, the other arguments in order).

    Raises:
        UserError: ``--plugin`` without a module name.
    """
    from ats_ms.utils.errors import UserError
    modules, rest, i = [], [], 0
    while i < len(argv):
        arg = str(argv[i])
        if arg == FLAG:
            if i + 1 >= len(argv) or str(argv[i + 1]).startswith("-"):
                raise UserError(f"{FLAG} needs a module name; expected {FLAG} MODULE (importable, e.g. my_package."
                                f"ats_plugin)")
            modules.append(str(argv[i + 1]))
            i += 2
            continue
        if arg.startswith(FLAG + "="):
            modules.append(arg[len(FLAG) + 1:])
        else:
            rest.append(argv[i])
        i += 1
    return modules, rest


def _entry_points():
    from importlib.metadata import entry_points
    found = entry_points()
    return list(found.select(group=GROUP) if hasattr(found, "select") else found.get(GROUP, ()))


def _import(name, load):
    """``load()`` plugin ``name`` unless loaded already; any failure becomes one UserError naming it."""
    from ats_ms.utils.errors import UserError
    if name in _LOADED:
        return
    try:
        _LOADED[name] = load()
    except UserError as exc:
        raise UserError(f"plugin {name}: {exc}") from exc
    except Exception as exc:  # any failure of a user's module: one line naming it
        raise UserError(f"plugin {name} failed to import ({type(exc).__name__}: {exc}); expected an importable "
                        f"module that registers methods, networks or datasets") from exc


def load_plugins(modules=(), environ=None, entry_points=True):
    """Import the plugins: the installed entry points of ``ats_ms.plugins`` (when ``entry_points``; read once per
    process), the modules of ``ATS_MS_PLUGINS`` in ``environ`` (default: ``os.environ``) and ``modules``, each once.

    Returns:
        list[str]: the names loaded, in order.

    Raises:
        UserError: a plugin that fails to import, or registers a name twice, naming it.
    """
    environ = os.environ if environ is None else environ
    names = []
    if entry_points and not _SCANNED:
        for point in _entry_points():
            _import(f"{point.name} ({point.value})", point.load)
            names.append(point.value)
            _MODULES.setdefault(point.value.split(":")[0])
        _SCANNED.append(True)
    listed = [m.strip() for m in environ.get(ENVIRONMENT, "").split(",") if m.strip()]
    for module in listed + list(modules):
        _import(module, lambda module=module: importlib.import_module(module))
        names.append(module)
        _MODULES.setdefault(module)
    return names


def loaded_modules():
    """The modules of every plugin this process loaded, in order (a worker process imports them again)."""
    return tuple(_MODULES)
