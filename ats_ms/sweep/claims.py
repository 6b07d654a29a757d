"""Claim files: how any number of sweep workers (processes, devices, machines sharing the folder) divide a grid
without running a cell twice.

Rules (docs/distributed.md):
- A worker claims a cell by creating ``{out_dir}/claims/{cell}.claim`` with ``O_CREAT | O_EXCL``: of several workers
  trying at once exactly one succeeds. The file holds the worker's host, pid namespace, process id and the
  process's identity (``process_identity``: boot id and start since boot), a random token and the time.
- While it trains a cell, the worker touches the claim every ``min(HEARTBEAT, timeout / 4)`` seconds (a background
  thread) and removes it when the cell is done or has failed.
- A claim is stale when its owner is of this host and pid namespace and no process with its id and identity exists
  (a process id reused after a restart does not keep a dead worker's claim alive; a clock step changes nothing), or,
  for an owner on another host or namespace, when the file has not been touched for ``timeout`` seconds
  (``--claim_timeout``: the owner died, or hangs). A stale
  claim is taken over by creating ``{cell}.takeover-{its token}`` with ``O_EXCL`` (again exactly one worker succeeds
  for a given stale claim) and then replacing the claim with one's own.
- A finished cell (its final checkpoint exists) is never trained again, unless it is damaged (its checkpoint, metrics
  or config cannot be read: ``ats_ms.sweep.report.read_cell``): then the worker that claims it moves its files aside to
  ``<file>.damaged-N`` and releases it, and it is pending like any other cell. A cell whose loss became NaN/inf is
  recorded in ``{cell}.failed`` (the error line) and skipped by every worker until that file is deleted.
"""
import json
import os
import socket
import threading
import time
import uuid

from ats_ms.utils.files import pid_namespace, process_identity, write_text

HEARTBEAT = 30.0


class Claims:
    """The claims of one sweep folder, seen by one worker.

    Args:
        folder (str): ``{out_dir}/claims`` (created).
        timeout (float): seconds without a heartbeat after which a claim is stale.
    """

    def __init__(self, folder, timeout):
        self.folder, self.timeout = folder, float(timeout)
        os.makedirs(folder, exist_ok=True)
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.space, self.started = pid_namespace(), process_identity(self.pid)
        self.token = uuid.uuid4().hex[:12]

    def _path(self, cell, kind="claim"):
        return os.path.join(self.folder, f"{cell}.{kind}")

    def _body(self):
        return json.dumps({"host": self.host, "space": self.space, "pid": self.pid, "started": self.started,
                           "token": self.token, "time": time.time()})

    def owner(self, cell):
        """The claim's content (host, pid, token, time) and its age in seconds, or None when unclaimed."""
        path = self._path(cell)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.loads(f.read() or "{}")
            data["age"] = time.time() - os.path.getmtime(path)
            return data
        except (OSError, ValueError):
            return None

    def is_stale(self, owner):
        """Whether the claim ``owner`` (from ``owner()``) may be taken over (module docstring)."""
        local = owner.get("host") == self.host and owner.get("space", self.space) == self.space
        if local and isinstance(owner.get("pid"), int):
            found, recorded = process_identity(owner["pid"]), owner.get("started")
            return found is None or (isinstance(recorded, str) and found != recorded)
        return owner["age"] > self.timeout

    def try_claim(self, cell):
        """Claim ``cell``; True if this worker now owns it (a new claim, or a stale one taken over)."""
        try:
            fd = os.open(self._path(cell), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return self._take_over(cell)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self._body())
        return True

    def _take_over(self, cell):
        owner = self.owner(cell)
        if owner is None or owner.get("token") == self.token or not self.is_stale(owner):
            return False
        marker = self._path(cell, f"takeover-{owner.get('token', 'unknown')}")
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        write_text(self._path(cell), self._body())
        return True

    def release(self, cell):
        """Remove this worker's claim of ``cell`` (and takeover markers of it)."""
        owner = self.owner(cell)
        if owner is not None and owner.get("token") == self.token:
            os.remove(self._path(cell))
        for name in os.listdir(self.folder):
            if name.startswith(f"{cell}.takeover-"):
                try:
                    os.remove(os.path.join(self.folder, name))
                except OSError:
                    pass

    def refresh(self, cells):
        """Touch the claims of ``cells`` (the heartbeat)."""
        for cell in cells:
            try:
                os.utime(self._path(cell))
            except OSError:
                pass

    def heartbeat(self, cells):
        """Context manager: a daemon thread refreshes the claims of ``cells`` while the block runs."""
        return _Heartbeat(self, cells, min(HEARTBEAT, self.timeout / 4))

    def is_failed(self, cell):
        return os.path.exists(self._path(cell, "failed"))

    def mark_failed(self, cell, message):
        write_text(self._path(cell, "failed"), message + "\n")


class _Heartbeat:
    def __init__(self, claims, cells, every):
        self.claims, self.cells, self.every = claims, list(cells), every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self.stop.wait(self.every):
            self.claims.refresh(self.cells)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        return False
