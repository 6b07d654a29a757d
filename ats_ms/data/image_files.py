"""Lists of image files with labels, and the helpers the image-folder readers share (no MindSpore here).

``ImageFiles`` is what every reader (``folder``, ``tiny_imagenet``, ``cub``, ``dogs``) returns: absolute paths,
int32 labels and the class names (index = label). ``is_image_name`` decides from a file name alone what counts as an
image (a suffix of ``IMAGE_SUFFIXES``, every suffix Pillow can open, found on first use; hidden files never).
``sniff`` names a file's format from its first bytes and ``check_images`` refuses the first listed file that is no
image MindSpore or Pillow can decode, reading 32 bytes of each. ``locate`` finds a dataset's top folder whether
``--data_dir`` names it or the folder that holds it.
The official layouts are described in ../shared/docs/ATS_NOTES.md section 11.
"""
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

import numpy as np

from ats_ms.utils.errors import UserError

SPLITS = ("train", "test")
SNIFF_BYTES = 32
CHECK_THREADS = 8
CHECK_CHUNK = 1024
KNOWN_FORMATS = "JPEG/PNG/GIF/BMP/TIFF/WebP"


@dataclass
class ImageFiles:
    """The image files of one split.

    Attributes:
        paths: absolute file paths, in the order the dataset is read.
        labels: (N,) int32 labels, ``labels[i]`` belongs to ``paths[i]``.
        class_names: the class names; the index of a name is its label.
    """

    paths: List[str]
    labels: np.ndarray
    class_names: Tuple[str, ...]

    @property
    def size(self):
        """The number of files."""
        return len(self.paths)


@functools.cache
def image_suffixes():
    """The lower-case file suffixes read as images: every extension Pillow registers for a format it can open.

    Returns:
        frozenset of suffixes with their dot, e.g. ``{".jpg", ".jpeg", ".png", ...}``.
    """
    from PIL import Image

    Image.init()
    return frozenset(ext.lower() for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


def __getattr__(name):
    """``IMAGE_SUFFIXES``: ``image_suffixes()``, computed on first use rather than at import (it loads Pillow)."""
    if name == "IMAGE_SUFFIXES":
        return image_suffixes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_image_name(name):
    """Whether a file name denotes an image: its suffix is one of ``image_suffixes()`` (any case), and it is not hidden.

    Args:
        name: a file name or path; only its last component is looked at.

    Returns:
        True for ``a.jpg``, ``B.JPEG``, ``c.png``; False for ``.DS_Store``, ``notes.txt``, ``Thumbs.db``, ``._a.jpg``.
    """
    base = os.path.basename(name)
    if base.startswith("."):
        return False
    return os.path.splitext(base)[1].lower() in image_suffixes()


def format_of_bytes(head):
    """The image format named by a file's first bytes (see ``sniff``), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def sniff(path):
    """The image format of a file, from its first bytes (magic numbers); at most 32 bytes are read.

    Args:
        path: the file.

    Returns:
        ``"jpeg"``, ``"png"``, ``"gif"``, ``"bmp"``, ``"tiff"`` or ``"webp"``, or None when the bytes match none.

    Raises:
        OSError: the file cannot be opened or read.
    """
    with open(path, "rb") as f:
        return format_of_bytes(f.read(SNIFF_BYTES))


def _pillow_identifies(path):
    """Whether Pillow recognises the file's header (PPM, ICO, TGA, ...: formats ``sniff`` does not know)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.format is not None
    except Exception:  # Pillow raises UnidentifiedImageError, SyntaxError, struct.error, ... on foreign bytes
        return False


def _first_bad(paths):
    """(path, reason) of the first file of ``paths`` that is not a known image, else None."""
    for path in paths:
        try:
            if sniff(path) is None and not _pillow_identifies(path):
                return path, None
        except OSError as exc:
            return path, exc.strerror or type(exc).__name__
    return None


def check_images(files, what):
    """Refuse the first file of ``files`` whose first bytes are no image format MindSpore or Pillow decodes.

    The first 32 bytes of each file are read, by 8 threads (the check is I/O bound); only a file whose bytes match none
    of ``sniff``'s formats is handed to Pillow, which reads its header (so PPM, ICO, TGA, ... pass too).

    Args:
        files: an ``ImageFiles``.
        what: how the split is named in the message, e.g. ``"tiny-imagenet train"``.

    Raises:
        UserError: a file cannot be read, or its bytes match no known image format.
    """
    chunks = [files.paths[i:i + CHECK_CHUNK] for i in range(0, len(files.paths), CHECK_CHUNK)]
    if not chunks:
        return
    bad = None
    with ThreadPoolExecutor(max_workers=min(CHECK_THREADS, len(chunks))) as pool:
        futures = [pool.submit(_first_bad, chunk) for chunk in chunks]
        try:
            for future in futures:
                bad = future.result()
                if bad is not None:
                    break
        finally:
            for future in futures:
                future.cancel()
    if bad is None:
        return
    path, reason = bad
    if reason is not None:
        raise UserError(f"{what}: cannot read {path} ({reason}); expected a readable {KNOWN_FORMATS} image file")
    raise UserError(f"{what}: {path} is not an image MindSpore or Pillow can decode (its first bytes match no image "
                    f"format); expected a {KNOWN_FORMATS} file, or remove it")


def locate(data_dir, folder_name: Union[str, Tuple[str, ...]], marker, dataset):
    """A dataset's top folder: ``data_dir`` itself when it holds ``marker``, else ``data_dir/<folder_name>``.

    Args:
        data_dir: ``--data_dir``, naming the dataset's top folder or the folder that holds it.
        folder_name: the top folder's name, or a tuple of the names it may have (tried in order).
        marker: a file the top folder always holds, e.g. ``"wnids.txt"``.
        dataset: the dataset's name in messages, e.g. ``"tiny-imagenet"``.

    Returns:
        The absolute path of the top folder.

    Raises:
        UserError: ``data_dir`` does not exist, or no candidate folder holds ``marker``.
    """
    names = (folder_name,) if isinstance(folder_name, str) else tuple(folder_name)
    candidates = [data_dir] + [os.path.join(data_dir, name) for name in names]
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, marker)):
            return os.path.abspath(folder)
    if not os.path.isdir(data_dir):
        raise UserError(f"{dataset}: --data_dir {data_dir} is not a folder; expected the {names[0]} folder (holding "
                        f"{marker}) or the folder that holds it")
    tried = [os.path.join(folder, marker) for folder in candidates]
    listed = f"neither {tried[0]} nor {tried[1]}" if len(tried) == 2 else f"none of {', '.join(tried)}"
    raise UserError(f"{dataset}: {listed} exists; expected --data_dir to name the {names[0]} folder or the folder "
                    f"that holds it")


def check_split(split):
    """``split`` if it is ``"train"`` or ``"test"``; anything else is a programming error (ValueError)."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r}; expected 'train' or 'test'")
    return split


def first_missing(paths):
    """The first path of ``paths`` that does not exist, else None; each folder is listed once (no stat per file).

    Args:
        paths: file paths.

    Returns:
        The first missing path, or None.
    """
    listings = {}
    for path in paths:
        folder, name = os.path.split(path)
        names = listings.get(folder)
        if names is None:
            try:
                names = {entry.name for entry in os.scandir(folder)}
            except OSError:
                names = set()
            listings[folder] = names
        if name not in names:
            return path
    return None


def read_lines(path, what, dataset):
    """The lines of a text file as ``(line number, stripped line)`` pairs, blank lines left out.

    Args:
        path: the file.
        what: what the file should be, for the message when it is missing, e.g. ``"the CUB-200-2011 classes.txt"``.
        dataset: the dataset's name in messages, e.g. ``"cub200"``.

    Returns:
        list of (1-based line number, line without surrounding white space).

    Raises:
        UserError: the file is missing, unreadable or not UTF-8 text.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UserError(f"{dataset}: {path} not found; expected {what}")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{dataset}: cannot read {path} ({type(exc).__name__}); expected {what} as UTF-8 text")
    return [(i, line.strip()) for i, line in enumerate(text.split("\n"), 1) if line.strip()]


def first_names(names, limit=5):
    """Up to ``limit`` names joined by ``", "``, then ``", ..."`` when there are more."""
    names = list(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def one_line(text: Optional[str]):
    """``text`` with line breaks turned into spaces (for messages quoting foreign text)."""
    return " ".join(str(text).split())
