"""Image files as MindSpore's ``Decode`` can take them: the pipeline's file source, and what keeps a damaged file
from ending the process.

``FileSource`` hands the pipeline each file's bytes when the sampler asks for it. ``readable_bytes`` passes JPEG,
PNG, BMP and TIFF files on as they are when they are whole (a JPEG or PNG ends with its end marker, a JPEG's header
is sound: ``jpeg_header_sound``); anything else (GIF, WebP, a file cut short, a damaged header) is decoded by
Pillow, or refused with one UserError naming the file. ``undecodable_file`` finds the file behind a decode error a
pipeline worker raised; ``remove_new_dumps`` removes the ``abnormal_image.*`` files MindSpore dumps for it.
"""
import os

import numpy as np

from ats_ms.utils.errors import UserError

DECODED_BY_MINDSPORE = ("jpeg", "png", "bmp", "tiff")
END_MARKERS = {"jpeg": b"\xff\xd9", "png": b"IEND"}  # a file cut short lacks its end marker
END_WINDOW = 4096


def _complete(kind, raw):
    """Whether a JPEG or PNG (``raw`` bytes) ends with its end marker (within its last ``END_WINDOW`` bytes) and a
    JPEG's header is sound (``jpeg_header_sound``); other formats: True."""
    marker = END_MARKERS.get(kind)
    if marker is not None and raw.rfind(marker, max(0, len(raw) - END_WINDOW)) < 0:
        return False
    return kind != "jpeg" or jpeg_header_sound(raw)


SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _segment_sound(marker, body):
    """Whether a JPEG header segment's content is consistent with its length (tables, frame and scan headers)."""
    if marker == 0xC4:  # DHT: (class/id, 16 counts, symbols)+
        i = 0
        while i < len(body):
            if i + 17 > len(body) or body[i] >> 4 > 1 or body[i] & 15 > 3:
                return False
            i += 17 + sum(body[i + 1:i + 17])
        return i == len(body) and sum(body[1:17]) <= 256
    if marker == 0xDB:  # DQT: (precision/id, 64 or 128 values)+
        i = 0
        while i < len(body):
            if body[i] >> 4 > 1 or body[i] & 15 > 3:
                return False
            i += 1 + 64 * (1 + (body[i] >> 4))
        return i == len(body)
    if marker in SOF_MARKERS:
        count = body[5] if len(body) > 5 else 0
        return (len(body) == 6 + 3 * count and count in (1, 3, 4) and body[0] in (8, 12)
                and body[1] << 8 | body[2] > 0 and body[3] << 8 | body[4] > 0
                and all(1 <= body[7 + 3 * c] >> 4 <= 4 and 1 <= body[7 + 3 * c] & 15 <= 4 and body[8 + 3 * c] <= 3
                        for c in range(count)))
    if marker == 0xDA:  # SOS
        count = body[0] if body else 0
        return 1 <= count <= 4 and len(body) == 4 + 2 * count
    return True


def jpeg_header_sound(head):
    """Whether the segments of a JPEG from its start to its first scan are well formed (markers, lengths, Huffman
    and quantisation tables, frame and scan headers). MindSpore 2.10's JPEG decoder ends the whole process with
    SIGFPE on some damaged headers, so such files never reach it; damage inside the compressed data is decoded as
    libjpeg decodes it (grey blocks, a warning)."""
    i, frame = 2, False
    while i + 4 <= len(head):
        if head[i] != 0xFF:
            return False
        while i < len(head) and head[i] == 0xFF:
            i += 1
        if i + 3 > len(head):
            return False
        marker, length = head[i], head[i + 1] << 8 | head[i + 2]
        if marker < 0xC0 or 0xD0 <= marker <= 0xD9 or length < 2 or i + 1 + length > len(head):
            return False
        if not _segment_sound(marker, head[i + 3:i + 1 + length]):
            return False
        frame |= marker in SOF_MARKERS
        if marker == 0xDA:
            return frame
        i += 1 + length
    return False


def read_file(path):
    """The bytes of file ``path``."""
    with open(path, "rb") as f:
        return f.read()


def readable_bytes(path, known_sound=False):
    """The bytes of image file ``path`` as MindSpore's ``Decode`` reads them: the file itself for whole JPEG, PNG,
    BMP and TIFF files (whatever the name says), else (GIF, WebP, the other formats only Pillow opens, and a JPEG or
    PNG without its end marker or with a damaged header) the image decoded by Pillow, converted to RGB and encoded
    as BMP.

    Args:
        known_sound (bool): the file passed the checks before (an earlier epoch): they are skipped.

    Returns:
        tuple: ((K,) uint8 array, whether the file itself is handed on: its checks passed).

    Raises:
        UserError: naming the file, when Pillow cannot decode it either (a file cut short, a damaged file); the
            command line turns it into one ``error:`` line even when a pipeline worker raised it.
    """
    from ats_ms.data.image_files import format_of_bytes
    raw = read_file(path)
    kind = None if known_sound else format_of_bytes(raw[:32])
    if known_sound or (kind in DECODED_BY_MINDSPORE and _complete(kind, raw)):
        return np.frombuffer(raw, np.uint8), True
    import io

    from PIL import Image
    try:
        with Image.open(io.BytesIO(raw)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "BMP")
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError ... on damaged files
        raise UserError(f"{path} cannot be decoded ({str(exc).strip() or type(exc).__name__}); expected a whole "
                        f"image file (replace or remove it)") from None
    return np.frombuffer(out.getvalue(), np.uint8), False


DUMP_PREFIX = "abnormal_image."  # MindSpore's Decode writes a file it cannot decode to ./abnormal_image.<ext>


def _decodes(path):
    """Whether Pillow decodes image file ``path`` whole (Pillow, not MindSpore: a damaged file must not end this
    process)."""
    from PIL import Image
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError ... on damaged files
        return False


def undecodable_file(splits):
    """The first file of ``splits`` (``DataSplit``s; only image-file splits are searched) that Pillow cannot decode
    whole, else None: what a pipeline worker's decode error did not name. Each file is decoded once (threads)."""
    from concurrent.futures import ThreadPoolExecutor
    paths = [p for split in splits if split.files is not None for p in split.files.paths]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for path, ok in zip(paths, pool.map(_decodes, paths)):
            if not ok:
                return path
    return None


def remove_new_dumps(before):
    """Remove the ``abnormal_image.*`` files MindSpore dumped into the working folder that were not in ``before``
    (the names present when the run started): a decode error must not leave files in the user's folder."""
    for name in os.listdir("."):
        if name.startswith(DUMP_PREFIX) and name not in before:
            os.remove(name)


def dumps_present():
    """The ``abnormal_image.*`` names in the working folder now (see ``remove_new_dumps``)."""
    return {name for name in os.listdir(".") if name.startswith(DUMP_PREFIX)}


class FileSource:
    """Random-access source of (encoded image bytes (K,) uint8, label int32) read from disk when asked for.

    Formats MindSpore's ``Decode`` does not read (GIF, WebP, ...) are decoded by Pillow here and handed on as BMP.
    ``sound`` ((N,) bool, kept by the split across epochs) marks the files whose checks passed: later epochs skip them.
    """

    def __init__(self, files, sound):
        self.paths, self.labels, self.sound = files.paths, np.asarray(files.labels, np.int32), sound

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        data, sound = readable_bytes(self.paths[index], bool(self.sound[index]))
        self.sound[index] = sound
        return data, self.labels[index]
