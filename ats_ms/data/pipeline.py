"""Any registered dataset as a mindspore.dataset pipeline with C++ vision ops.

``open_split`` finds a split and its size and labels (``ats_ms.data.registry`` says how); ``create_dataset`` builds
the batched pipeline. Three sources:
- image files (folder, tiny-imagenet, cub200, stanford-dogs): a random-access source (one reader thread) reads each
  file's bytes when the sampler asks for it, and the map workers decode them (C++ ``Decode``; formats only Pillow
  knows, such as GIF and WebP, and files cut short are handled by Pillow in the reader). Memory does not grow with
  the number of images.
- CIFAR's binary layout with the official record counts (50,000 train / 10,000 test): MindSpore's C++ reader
  (``Cifar100Dataset``/``Cifar10Dataset``).
- arrays in memory (the python layout, subsets, ``--max_train``, the digits) fed by ``NumpySlicesDataset``.
Output columns: ``image`` float32 (3, S, S) with S = ``image_size`` and ``label`` int32; the transform recipe
(``crop`` or ``resized-crop``, ``ats_ms.data.transforms``) defaults from the dataset.
"""
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ats_ms.data.registry import IMAGE_SIZE_RANGE, SPLITS, dataset_names, get_dataset
from ats_ms.data.transforms import NORMALIZATIONS, RECIPES
from ats_ms.utils.checks import BATCH_RANGE, check_choice
from ats_ms.utils.errors import UserError

MAX_AUTO_WORKERS = 8
SUBSET_SEED = 0


def load_arrays(name, data_dir, split, download=False):
    """Images (N, H, W, 3) uint8 and labels (N,) int32 of in-memory dataset ``name``; downloads CIFAR when asked."""
    entry = get_dataset(name)
    split = check_choice("split", split, SPLITS)
    if entry.from_files:
        raise UserError(f"dataset {entry.name} is read from image files, not arrays; expected an in-memory dataset "
                        f"({', '.join(n for n in dataset_names() if not get_dataset(n).from_files)})")
    return entry.open_arrays(data_dir, split, download)


def check_labels(labels, n_classes, source):
    """Raise UserError unless every label lies in [0, n_classes)."""
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise UserError(f"{source} has labels in [{labels.min()}, {labels.max()}] but --n_classes={n_classes}; "
                        f"expected labels in [0, {n_classes - 1}]")


@dataclass
class DataSplit:
    """One split of a dataset, ready for ``create_dataset``.

    Attributes:
        name (str), split (str): dataset and split.
        labels (ndarray): (N,) int32 labels.
        images (ndarray | None): (N, H, W, 3) uint8 in memory, or None.
        reader_dir (str | None): the folder a C++ reader of MindSpore reads (``native`` makes that source).
        files (ImageFiles | None): the image files, decoded by the pipeline.
        native (callable | None): ``native(shuffle, num_parallel_workers, num_shards, shard_id)`` -> a MindSpore
            source with ``image`` (uint8 HWC, ``stored_size`` square) and ``label`` columns.
        stored_size (int | None): height = width of the stored images when all share it (None: they vary).
        sound (ndarray | None): (N,) bool, the image files whose checks passed (``FileSource``), kept across epochs.
    """
    name: str
    split: str
    labels: np.ndarray
    images: Optional[np.ndarray] = None
    reader_dir: Optional[str] = None
    files: Optional[object] = None
    native: Optional[Callable] = None
    stored_size: Optional[int] = None
    sound: Optional[np.ndarray] = None

    def __post_init__(self):
        if self.images is not None and self.stored_size is None and self.images.shape[1] == self.images.shape[2]:
            self.stored_size = int(self.images.shape[1])

    @property
    def size(self):
        return int(len(self.labels))

    @property
    def reader(self):
        """``C++ reader``, ``image files`` or ``in memory``, for the start-up lines."""
        return "C++ reader" if self.reader_dir else ("image files" if self.files is not None else "in memory")


def _subset(files, limit):
    """The first ``limit`` images of a fixed random order (seed 0), in file order: every class is represented."""
    from ats_ms.data.image_files import ImageFiles
    keep = np.sort(np.random.default_rng(SUBSET_SEED).permutation(files.size)[:limit])
    return ImageFiles([files.paths[i] for i in keep], files.labels[keep], files.class_names)


def open_split(name, data_dir, split, download=False, limit=0):
    """The ``split`` of dataset ``name``: image files, the C++ reader where the files allow it, else arrays.

    Args:
        limit (int): use only ``limit`` images (0: all): the first ones of an in-memory set, a fixed random subset
            (in file order) of image files.
    """
    entry = get_dataset(name)
    split = check_choice("split", split, SPLITS)
    if entry.from_files:
        from ats_ms.data.image_files import check_images
        files = entry.open_files(data_dir, split)
        if not files.size:
            raise UserError(f"{entry.name} {split} split under {data_dir} holds no image; expected image files")
        files = _subset(files, limit) if limit and limit < files.size else files
        check_images(files, f"{entry.name} {split}")
        return DataSplit(entry.name, split, np.asarray(files.labels, np.int32), files=files)
    if entry.open_native is not None and not limit:
        native = entry.open_native(data_dir, split, download)
        if native is not None:
            return native
    images, labels = entry.open_arrays(data_dir, split, download)
    if limit:
        images, labels = images[:limit], labels[:limit]
    return DataSplit(entry.name, split, labels, images=images)


def worker_count(num_workers):
    """Pipeline workers: ``num_workers`` capped at the CPU count; 0 means one per core, at most 8."""
    cores = os.cpu_count() or 1
    return max(1, min(int(num_workers) or MAX_AUTO_WORKERS, cores))


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


def create_dataset(name, data_dir, split, batch_size, n_classes=None, normalize=None, augment=None,
                   shuffle=None, num_workers=2, num_shards=None, shard_id=None, download=False,
                   drop_remainder=False, arrays=None, data=None, image_size=None, transform=None):
    """Build the batched pipeline.

    Args:
        name (str): a registered dataset (``ats_ms.data.registry.dataset_names()``).
        data_dir (str): folder holding the dataset (unused for digits).
        split (str): ``train`` or ``test``.
        batch_size (int): images per batch (per device with sharding).
        n_classes (int | None): labels are checked against it (default: the dataset's class count).
        normalize (str | None): ``imagenet`` or ``cifar`` (default: the dataset's).
        augment (bool | None): the recipe's random crop + flip (default: True for train).
        shuffle (bool | None): shuffle each epoch, seeded by mindspore.dataset's seed (default: True for train).
        num_workers (int): parallel workers (see ``worker_count``).
        num_shards, shard_id (int | None): data-parallel sharding (each image read once per epoch over the shards).
        download (bool): fetch CIFAR if missing.
        drop_remainder (bool): drop the last partial batch.
        arrays (tuple | None): (images uint8 NHWC, labels) to use instead of loading ``name``.
        data (DataSplit | None): an opened split to use instead of loading ``name``.
        image_size (int | None): output height and width (default: the dataset's).
        transform (str | None): ``crop`` or ``resized-crop`` (default: the dataset's).

    Returns:
        mindspore.dataset.Dataset yielding (image float32 (B, 3, S, S), label int32 (B,)).
    """
    import mindspore as ms
    import mindspore.dataset as ds
    import mindspore.dataset.transforms as T

    from ats_ms.data.transforms import image_ops

    entry = get_dataset(name)
    split = check_choice("split", split, SPLITS)
    normalize = check_choice("--normalize", normalize or entry.normalize, tuple(NORMALIZATIONS))
    transform = check_choice("--transform", transform or entry.recipe, tuple(RECIPES))
    size = IMAGE_SIZE_RANGE("--image_size", image_size or entry.image_size)
    batch_size = BATCH_RANGE("--batch_size", batch_size)
    if data is None:
        data = DataSplit(entry.name, split, arrays[1], images=arrays[0]) if arrays is not None else \
            open_split(entry.name, data_dir, split, download)
    n_classes = n_classes or (entry.n_classes or int(data.labels.max()) + 1)
    check_labels(data.labels, n_classes, f"{entry.name} {split}")
    train = split == "train"
    augment = train if augment is None else augment
    shuffle = train if shuffle is None else shuffle
    workers = worker_count(num_workers)
    shard = {"num_shards": num_shards, "shard_id": shard_id}
    if data.files is not None:
        # One reader thread: a file's bytes take 10-20 us to read, and with more workers GeneratorDataset passes rows
        # through per-worker queues that its fetch loop polls with time.sleep(0.1) (MindSpore 2.10, SamplerFn): 64x64
        # JPEGs ran 7x slower. The map workers decode.
        if data.sound is None:
            data.sound = np.zeros(data.size, bool)
        source = ds.GeneratorDataset(FileSource(data.files, data.sound), ["image", "label"], shuffle=shuffle,
                                     num_parallel_workers=1, python_multiprocessing=False, **shard)
    elif data.native is not None:
        source = data.native(shuffle=shuffle, num_parallel_workers=workers, **shard)
    else:
        source = ds.NumpySlicesDataset({"image": data.images, "label": data.labels.astype(np.int32)},
                                       shuffle=shuffle, num_parallel_workers=1, **shard)
    ops = image_ops(transform, size, augment, decode=data.files is not None, stored_size=data.stored_size,
                    normalize=normalize)
    source = source.map(ops, input_columns="image", num_parallel_workers=workers)
    source = source.map(T.TypeCast(ms.int32), input_columns="label", num_parallel_workers=1)
    return source.batch(batch_size, drop_remainder=drop_remainder)
