"""Atomic writes: every file the project writes appears whole or not at all (temporary file, then rename)."""
import contextlib
import os


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path`` (its folder is created); on success it is renamed onto ``path``, on
    error removed.

    The temporary name keeps the extension (``.ckpt``, ``.png``), which some writers use to pick the format.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    ext = os.path.splitext(name)[1]
    tmp = os.path.join(folder, f".{name}.tmp-{os.getpid()}{ext}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def remove_stale_temporaries(path):
    """Remove temporary files of ``path`` left by a process that was killed mid-write; returns how many."""
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    removed = 0
    if not os.path.isdir(folder):
        return 0
    for entry in os.listdir(folder):
        prefix = f".{name}.tmp-"
        if not entry.startswith(prefix):
            continue
        pid = entry[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and process_identity(int(pid)) is None:
            os.remove(os.path.join(folder, entry))
            removed += 1
    return removed


def process_identity(pid):
    """A string naming process ``pid`` of this machine for as long as it lives, or None when there is none.

    On Linux: the boot's id and the process's start in clock ticks since boot (a wall-clock step changes neither, a
    reused pid gets another start); elsewhere psutil's start time.
    """
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{int(pid)}/stat", encoding="utf-8") as f:
                ticks = f.read().rsplit(")", 1)[1].split()[19]  # field 22, starttime (fields after the name start at 3)
        except (OSError, IndexError, ValueError):
            return None
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="utf-8") as f:
                boot = f.read().strip()
        except OSError:  # some sandboxes hide it: the start alone still names a process within one boot
            boot = ""
        return f"{boot}:{ticks}"
    import psutil
    try:
        return f"{psutil.Process(pid).create_time():.3f}"
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        return None


def pid_namespace():
    """This process's pid namespace (processes of another namespace on the same host cannot be seen), or ""."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def make_dir(flag, folder):
    """Create output folder ``folder`` of flag ``--flag`` (checked first); UserError if it cannot be created."""
    from ats_ms.utils.checks import check_output_dir
    from ats_ms.utils.errors import UserError
    check_output_dir(flag, folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--{flag}={folder} cannot be created ({exc.strerror}); expected a writable folder") from None
    return folder


def write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    return path


def write_json(path, data):
    """Write ``data`` as indented JSON to ``path`` atomically."""
    import json
    return write_text(path, json.dumps(data, indent=1) + "\n")
