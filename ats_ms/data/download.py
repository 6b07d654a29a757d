"""Download of the official CIFAR archives: resumable temp file, MD5 check, safe extraction, atomic placement.

- The binary-layout archive is fetched (the layout MindSpore's C++ readers take), into
  ``{data_dir}/.{archive}.part`` (resumed with an HTTP Range request when a partial file
  is there), checked against the official MD5 (a mismatch deletes it and says so), then extracted into a temporary
  folder inside ``data_dir`` and renamed into place, so a half-extracted folder is never taken as data.
- Extraction refuses absolute paths, ``..``, links, devices and anything else that is not a plain file or folder.
- Valid data already present is never downloaded again. Progress goes to stderr.
"""
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request

from ats_ms.data.cifar import LAYOUTS, find_layout
from ats_ms.utils.errors import UserError

BASE_URL = "https://www.cs.toronto.edu/~kriz"
ARCHIVES = {
    "cifar100": ("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8"),
    "cifar10": ("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"),
}
CHUNK = 1 << 20


def md5sum(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _fetch(url, part, timeout):
    start = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if start and response.status != 206:
            start = 0
        total = response.headers.get("Content-Length")
        total = int(total) + start if total else None
        done = start
        with open(part, "ab" if start else "wb") as out:
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                done += len(block)
                pct = f" {100 * done / total:5.1f}%" if total else ""
                print(f"\r[download] {os.path.basename(part)}: {done / 1e6:7.1f} MB{pct}", end="", file=sys.stderr)
        print(file=sys.stderr)


def check_member(member):
    """Raise UserError unless ``member`` is a plain file or folder with a relative path inside the archive."""
    name = member.name
    if os.path.isabs(name) or name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
        raise UserError(f"archive member {name!r} has an absolute or parent path; refused")
    if not (member.isfile() or member.isdir()):
        raise UserError(f"archive member {name!r} is a link, device or special file; refused")


def safe_extract(archive, dest):
    """Extract ``archive`` (tar, gz) into the existing folder ``dest`` after checking every member."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                check_member(member)
            for member in members:
                tar.extract(member, dest, set_attrs=False, **({"filter": "data"} if hasattr(tarfile, "data_filter")
                                                                else {}))
    except tarfile.TarError as exc:
        raise UserError(f"archive {archive} is corrupt ({exc}); delete it and download again")


def download_cifar(name, data_dir, url=None, md5=None, timeout=60):
    """Make ``name`` available under ``data_dir`` (binary layout); returns the layout found or placed.

    Args:
        name (str): ``cifar100`` or ``cifar10``.
        data_dir (str): folder that holds (or will hold) the layout folder.
        url (str | None): archive URL (default: the official one).
        md5 (str | None): expected MD5 (default: the official archive's).
    """
    layout = find_layout(name, data_dir)
    if layout:
        return layout
    archive, official_md5 = ARCHIVES[name]
    url = url or f"{BASE_URL}/{archive}"
    md5 = md5 or official_md5
    try:
        os.makedirs(data_dir, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--data_dir {data_dir} cannot be created ({exc.strerror}); expected a writable folder")
    part = os.path.join(data_dir, f".{archive}.part")
    try:
        _fetch(url, part, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"download of {url} failed ({reason}); put the extracted {LAYOUTS[name]['binary'][0]}/ "
                        f"(or {LAYOUTS[name]['python'][0]}/) folder into {os.path.abspath(data_dir)} and run again")
    got = md5sum(part)
    if got != md5:
        os.remove(part)
        raise UserError(f"download of {url} has MD5 {got}, expected {md5}; the file was deleted, run again")
    staging = tempfile.mkdtemp(prefix=".extract-", dir=data_dir)
    try:
        safe_extract(part, staging)
        folder = LAYOUTS[name]["binary"][0]
        if not os.path.isdir(os.path.join(staging, folder)):
            raise UserError(f"archive from {url} has no {folder}/ folder; expected the official CIFAR archive")
        target = os.path.join(data_dir, folder)
        if os.path.isdir(target):
            os.rename(target, tempfile.mkdtemp(prefix=f".incomplete-{folder}-", dir=data_dir))
        os.rename(os.path.join(staging, folder), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    os.remove(part)
    layout = find_layout(name, data_dir)
    if layout is None:
        raise UserError(f"archive from {url} was extracted but {name} files are incomplete; expected the official "
                        f"archive")
    return layout
