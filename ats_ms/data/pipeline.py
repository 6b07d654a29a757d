"""CIFAR-10/100 or the embedded digits as a mindspore.dataset pipeline with C++ vision ops.

``open_split`` finds a split and its size and labels; ``create_dataset`` builds the batched pipeline. When the CIFAR
binary layout holds the official record counts (50,000 train / 10,000 test), the images are read by MindSpore's C++
reader (``Cifar100Dataset``/``Cifar10Dataset``), which keeps up with more workers; otherwise (the python layout,
subsets, ``--max_train``, the digits) the arrays are read into memory and fed by ``NumpySlicesDataset``.
Output columns: ``image`` float32 (3, 32, 32) and ``label`` int32. Training: RandomCrop 32 with padding 4 and a
horizontal flip; both splits: normalisation (``imagenet`` as the paper's code, ``cifar`` as the demo) and HWC->CHW.
"""
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ats_ms.data.cifar import N_CLASSES as CIFAR_CLASSES
from ats_ms.data.digits import N_CLASSES as DIGITS_CLASSES
from ats_ms.utils.checks import BATCH_RANGE, check_choice
from ats_ms.utils.errors import UserError

NORMALIZATIONS = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
}
N_CLASSES = {**CIFAR_CLASSES, "digits": DIGITS_CLASSES}
DATASETS = tuple(N_CLASSES)
SPLITS = ("train", "test")
MAX_AUTO_WORKERS = 8


def load_arrays(name, data_dir, split, download=False):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int32 of dataset ``name``; downloads CIFAR when asked."""
    name, split = check_choice("--dataset", name, DATASETS), check_choice("split", split, SPLITS)
    if name == "digits":
        from ats_ms.data.digits import load_digits
        return load_digits(split)
    from ats_ms.data.cifar import find_layout, load_cifar
    if download and find_layout(name, data_dir) is None:
        from ats_ms.data.download import download_cifar
        download_cifar(name, data_dir)
    return load_cifar(name, data_dir, split)


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
        images (ndarray | None): (N, 32, 32, 3) uint8, or None when ``reader_dir`` is read by the C++ reader.
        reader_dir (str | None): the binary-layout folder read by ``Cifar100Dataset``/``Cifar10Dataset``.
    """
    name: str
    split: str
    labels: np.ndarray
    images: Optional[np.ndarray] = None
    reader_dir: Optional[str] = None

    @property
    def size(self):
        return int(len(self.labels))

    @property
    def reader(self):
        """``C++ reader`` or ``in memory``, for the start-up lines."""
        return "C++ reader" if self.reader_dir else "in memory"


def open_split(name, data_dir, split, download=False, limit=0):
    """The ``split`` of dataset ``name``: the C++ reader where the files allow it, else arrays in memory.

    Args:
        limit (int): use only the first ``limit`` images (0: all); always read into memory.
    """
    name = check_choice("--dataset", name, DATASETS)
    if name != "digits" and not limit:
        from ats_ms.data.cifar import official_binary
        if download:
            from ats_ms.data.download import download_cifar
            download_cifar(name, data_dir)
        folder = official_binary(name, data_dir)
        if folder:
            from ats_ms.data.cifar import binary_labels
            return DataSplit(name, split, binary_labels(name, data_dir, split), reader_dir=folder)
    images, labels = load_arrays(name, data_dir, split, download)
    if limit:
        images, labels = images[:limit], labels[:limit]
    return DataSplit(name, split, labels, images=images)


def worker_count(num_workers):
    """Pipeline workers: ``num_workers`` capped at the CPU count; 0 means one per core, at most 8."""
    cores = os.cpu_count() or 1
    return max(1, min(int(num_workers) or MAX_AUTO_WORKERS, cores))


def create_dataset(name, data_dir, split, batch_size, n_classes=None, normalize="cifar", augment=None,
                   shuffle=None, num_workers=2, num_shards=None, shard_id=None, download=False,
                   drop_remainder=False, arrays=None, data=None):
    """Build the batched pipeline.

    Args:
        name (str): ``cifar100``, ``cifar10`` or ``digits``.
        data_dir (str): folder holding the CIFAR layout folder (unused for digits).
        split (str): ``train`` or ``test``.
        batch_size (int): images per batch (per device with sharding).
        n_classes (int | None): labels are checked against it (default: the dataset's class count).
        normalize (str): ``imagenet`` or ``cifar``.
        augment (bool | None): random crop + flip (default: True for train).
        shuffle (bool | None): shuffle each epoch, seeded by mindspore.dataset's seed (default: True for train).
        num_workers (int): parallel workers (see ``worker_count``).
        num_shards, shard_id (int | None): data-parallel sharding.
        download (bool): fetch CIFAR if missing.
        drop_remainder (bool): drop the last partial batch.
        arrays (tuple | None): (images uint8 NHWC, labels) to use instead of loading ``name``.
        data (DataSplit | None): an opened split to use instead of loading ``name``.

    Returns:
        mindspore.dataset.Dataset yielding (image float32 (B, 3, 32, 32), label int32 (B,)).
    """
    import mindspore as ms
    import mindspore.dataset as ds
    import mindspore.dataset.transforms as T
    import mindspore.dataset.vision as V

    name, split = check_choice("--dataset", name, DATASETS), check_choice("split", split, SPLITS)
    normalize = check_choice("--normalize", normalize, tuple(NORMALIZATIONS))
    batch_size = BATCH_RANGE("--batch_size", batch_size)
    if data is None:
        data = DataSplit(name, split, arrays[1], images=arrays[0]) if arrays is not None else \
            open_split(name, data_dir, split, download)
    n_classes = n_classes or N_CLASSES.get(name, int(data.labels.max()) + 1)
    check_labels(data.labels, n_classes, f"{name} {split}")
    train = split == "train"
    augment = train if augment is None else augment
    shuffle = train if shuffle is None else shuffle
    workers = worker_count(num_workers)
    shard = {"num_shards": num_shards, "shard_id": shard_id}
    if data.reader_dir:
        reader = ds.Cifar100Dataset if name == "cifar100" else ds.Cifar10Dataset
        source = reader(data.reader_dir, usage=split, shuffle=shuffle, num_parallel_workers=workers, **shard)
        if name == "cifar100":
            source = source.project(["image", "fine_label"]).rename(["fine_label"], ["label"])
    else:
        source = ds.NumpySlicesDataset({"image": data.images, "label": data.labels.astype(np.int32)},
                                       shuffle=shuffle, num_parallel_workers=1, **shard)
    mean, std = NORMALIZATIONS[normalize]
    ops = [V.RandomCrop(32, padding=4), V.RandomHorizontalFlip()] if augment else []
    ops += [V.Normalize([255 * m for m in mean], [255 * s for s in std]), V.HWC2CHW()]
    source = source.map(ops, input_columns="image", num_parallel_workers=workers)
    source = source.map(T.TypeCast(ms.int32), input_columns="label", num_parallel_workers=1)
    return source.batch(batch_size, drop_remainder=drop_remainder)
