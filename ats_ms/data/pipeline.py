"""``create_dataset``: CIFAR-10/100 or the embedded digits as a mindspore.dataset pipeline with C++ vision ops.

Output columns: ``image`` float32 (3, 32, 32) and ``label`` int32. Training: RandomCrop 32 with padding 4 and a
horizontal flip; both splits: normalisation (``imagenet`` as the paper's code, ``cifar`` as the demo) and HWC->CHW.
"""
import os

import numpy as np

from ats_ms.utils.errors import UserError

NORMALIZATIONS = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
}
DATASETS = ("cifar100", "cifar10", "digits")
N_CLASSES = {"cifar100": 100, "cifar10": 10, "digits": 10}


def load_arrays(name, data_dir, split, download=False):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int32 of dataset ``name``; downloads CIFAR when asked."""
    if name not in DATASETS:
        raise UserError(f"--dataset={name!r} is unknown; expected one of {', '.join(DATASETS)}")
    if split not in ("train", "test"):
        raise UserError(f"split={split!r} is unknown; expected train or test")
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


def create_dataset(name, data_dir, split, batch_size, n_classes=None, normalize="imagenet", augment=None,
                   shuffle=None, seed=0, num_workers=2, num_shards=None, shard_id=None, download=False,
                   drop_remainder=False, arrays=None):
    """Build the batched pipeline.

    Args:
        name (str): ``cifar100``, ``cifar10`` or ``digits``.
        data_dir (str): folder holding the CIFAR layout folder (unused for digits).
        split (str): ``train`` or ``test``.
        batch_size (int): images per batch (per device with sharding).
        n_classes (int | None): labels are checked against it (default: the dataset's class count).
        normalize (str): ``imagenet`` or ``cifar``.
        augment (bool | None): random crop + flip (default: True for train).
        shuffle (bool | None): shuffle each epoch, seeded by ``seed`` (default: True for train).
        num_workers (int): parallel workers, capped at the CPU count.
        num_shards, shard_id (int | None): data-parallel sharding.
        download (bool): fetch CIFAR if missing.
        drop_remainder (bool): drop the last partial batch.
        arrays (tuple | None): (images uint8 NHWC, labels) to use instead of loading ``name``.

    Returns:
        mindspore.dataset.Dataset yielding (image float32 (B, 3, 32, 32), label int32 (B,)).
    """
    import mindspore.dataset as ds
    import mindspore.dataset.transforms as T
    import mindspore.dataset.vision as V
    import mindspore as ms

    if normalize not in NORMALIZATIONS:
        raise UserError(f"--normalize={normalize!r} is unknown; expected one of {', '.join(NORMALIZATIONS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise UserError(f"--batch_size={batch_size!r} is invalid; expected an integer > 0")
    images, labels = arrays if arrays is not None else load_arrays(name, data_dir, split, download)
    n_classes = n_classes or N_CLASSES.get(name, int(labels.max()) + 1)
    check_labels(labels, n_classes, f"{name} {split}")
    train = split == "train"
    augment = train if augment is None else augment
    shuffle = train if shuffle is None else shuffle
    workers = max(1, min(int(num_workers), os.cpu_count() or 1))
    source = ds.NumpySlicesDataset({"image": images, "label": labels.astype(np.int32)}, shuffle=shuffle,
                                   num_shards=num_shards, shard_id=shard_id, num_parallel_workers=1)
    mean, std = NORMALIZATIONS[normalize]
    ops = [V.RandomCrop(32, padding=4), V.RandomHorizontalFlip()] if augment else []
    ops += [V.Normalize([255 * m for m in mean], [255 * s for s in std]), V.HWC2CHW()]
    source = source.map(ops, input_columns="image", num_parallel_workers=workers)
    source = source.map(T.TypeCast(ms.int32), input_columns="label", num_parallel_workers=1)
    return source.batch(batch_size, drop_remainder=drop_remainder)
