"""Any registered dataset as a mindspore.dataset pipeline with C++ vision ops.

``open_split`` finds a split and its size and labels (``ats_ms.data.registry`` says how); ``open_splits`` and
``pack_data`` give a run's (train, test) splits with their labels checked once (``DataSplit.checked_classes``);
``create_dataset`` builds the batched pipeline. Three sources:
- image files (folder, tiny-imagenet, cub200, stanford-dogs): a random-access source (one reader thread,
  ``ats_ms.data.image_bytes``) reads each file's bytes when the sampler asks for it, and the map workers decode them
  (C++ ``Decode``; formats only Pillow knows, such as GIF and WebP, and damaged files are handled by Pillow in the
  reader). Memory does not grow with the number of images.
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

from ats_ms.data.image_bytes import FileSource
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
        checked_classes (int | None): the class count its labels were checked against (``create_dataset`` does
            not check them again for it).
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
    checked_classes: Optional[int] = None

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
    if data.checked_classes != n_classes:
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


def open_splits(config):
    """The (train, test) ``DataSplit`` of a run's dataset (downloaded if asked, limited by max_train/max_test)."""
    return (open_split(config.dataset, config.data_dir, "train", config.download, config.max_train),
            open_split(config.dataset, config.data_dir, "test", False, config.max_test))


def pack_data(config, data=None, arrays=None):
    """The (train, test) ``DataSplit`` a pack trains on: ``data`` already opened, ``arrays`` ((train images,
    labels), (test images, labels)), else the config's dataset; labels checked against its classes once per split
    (``DataSplit.checked_classes``: a sweep's splits are checked once for all its packs, and not at every epoch)."""
    if data is None and arrays is not None:
        (train_x, train_y), (test_x, test_y) = arrays
        data = (DataSplit(config.dataset, "train", train_y, images=train_x),
                DataSplit(config.dataset, "test", test_y, images=test_x))
    data = data if data is not None else open_splits(config)
    for split in data:
        if split.checked_classes != config.n_classes:
            check_labels(split.labels, config.n_classes, f"{config.dataset} {split.split}")
            split.checked_classes = config.n_classes
    return tuple(data)
