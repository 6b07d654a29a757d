"""CIFAR-10/100 in both official layouts (python pickles or binary records), read into numpy arrays.

Layouts under ``data_dir`` (../shared/docs/ATS_NOTES.md section 5):
    cifar-100-python/{train,test}            pickled dicts: b"data" (N, 3072) uint8 CHW, b"fine_labels"
    cifar-10-batches-py/{data_batch_1..5,test_batch}   b"data", b"labels"
    cifar-100-binary/{train,test}.bin        records <coarse u8><fine u8><3072 u8>
    cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin   records <label u8><3072 u8>
Any number of records is accepted (subsets and test fixtures too); sizes and label ranges are checked.
"""
import os

import numpy as np

from ats_ms.data.safe_pickle import load_cifar_pickle
from ats_ms.utils.errors import UserError

IMAGE_BYTES = 3072

LAYOUTS = {
    "cifar100": {
        "python": ("cifar-100-python", {"train": ["train"], "test": ["test"]}, b"fine_labels"),
        "binary": ("cifar-100-binary", {"train": ["train.bin"], "test": ["test.bin"]}, 2),
    },
    "cifar10": {
        "python": ("cifar-10-batches-py", {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
                   b"labels"),
        "binary": ("cifar-10-batches-bin", {"train": [f"data_batch_{i}.bin" for i in range(1, 6)],
                                            "test": ["test_batch.bin"]}, 1),
    },
}
N_CLASSES = {"cifar100": 100, "cifar10": 10}
OFFICIAL_RECORDS = {"train": 50000, "test": 10000}


def find_layout(name, data_dir):
    """Return ``"python"`` or ``"binary"`` for the first layout whose files are all present, else None."""
    for layout, (folder, files, _) in LAYOUTS[name].items():
        paths = [os.path.join(data_dir, folder, f) for split in files.values() for f in split]
        if all(os.path.isfile(p) for p in paths):
            return layout
    return None


def _read_python(path, label_key):
    d = load_cifar_pickle(path)
    if not isinstance(d, dict) or b"data" not in d or label_key not in d:
        raise UserError(f"data file {path} lacks b'data' or {label_key!r}; expected an official CIFAR python file")
    data, labels = np.asarray(d[b"data"]), np.asarray(d[label_key])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != IMAGE_BYTES or len(labels) != len(data):
        raise UserError(f"data file {path} has data {data.dtype}{data.shape} and {len(labels)} labels; "
                        f"expected uint8 (N, 3072) and N labels")
    return data, labels


def _read_binary(path, label_offset):
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_offset + IMAGE_BYTES
    if raw.size == 0 or raw.size % record:
        raise UserError(f"data file {path} has {raw.size} bytes, not a whole number of {record}-byte records: it is "
                        f"truncated or corrupt; expected an official CIFAR binary file (delete it and download again)")
    raw = raw.reshape(-1, record)
    return raw[:, label_offset:], raw[:, label_offset - 1]


def load_cifar(name, data_dir, split):
    """Images (N, 32, 32, 3) uint8 HWC and labels (N,) int32 of ``split`` (``train``/``test``).

    Raises:
        UserError: no layout found, or a file is refused, truncated, corrupt or has labels out of range.
    """
    layout = find_layout(name, data_dir)
    if layout is None:
        raise UserError(f"{name} not found under {data_dir}; expected {LAYOUTS[name]['python'][0]}/ or "
                        f"{LAYOUTS[name]['binary'][0]}/ there (or --download True)")
    folder, files, key = LAYOUTS[name][layout]
    reader = _read_python if layout == "python" else _read_binary
    parts = [reader(os.path.join(data_dir, folder, f), key) for f in files[split]]
    data = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([np.asarray(p[1]).astype(np.int64) for p in parts])
    if labels.size and (labels.min() < 0 or labels.max() >= N_CLASSES[name]):
        raise UserError(f"{name} {split} labels span [{labels.min()}, {labels.max()}]; expected [0, "
                        f"{N_CLASSES[name] - 1}]")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int32)


def official_binary(name, data_dir):
    """The binary-layout folder of ``name`` if its files hold exactly the official record counts, else None.

    MindSpore's C++ readers (``Cifar100Dataset``/``Cifar10Dataset``) insist on those counts.
    """
    folder, files, offset = LAYOUTS[name]["binary"]
    record = offset + IMAGE_BYTES
    for split, names in files.items():
        paths = [os.path.join(data_dir, folder, f) for f in names]
        if not all(os.path.isfile(p) for p in paths):
            return None
        if sum(os.path.getsize(p) for p in paths) != OFFICIAL_RECORDS[split] * record:
            return None
    return os.path.join(data_dir, folder)


def binary_labels(name, data_dir, split):
    """Labels (N,) int32 of a binary-layout split, read without loading the images; out-of-range labels raise."""
    folder, files, offset = LAYOUTS[name]["binary"]
    parts = []
    for f in files[split]:
        raw = np.memmap(os.path.join(data_dir, folder, f), dtype=np.uint8, mode="r")
        parts.append(np.asarray(raw.reshape(-1, offset + IMAGE_BYTES)[:, offset - 1]))
    labels = np.concatenate(parts).astype(np.int32)
    if labels.size and labels.max() >= N_CLASSES[name]:
        raise UserError(f"{name} {split} labels span [{labels.min()}, {labels.max()}]; expected [0, "
                        f"{N_CLASSES[name] - 1}]")
    return labels


CLASS_NAMES = {
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    "cifar100": tuple(
        "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can "
        "castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin "
        "elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster "
        "man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck "
        "pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk "
        "skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television "
        "tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm".split()),
}  # the official meta files' label_names / fine_label_names, in label order


def cpp_reader(name, folder, split, **options):
    """MindSpore's C++ reader of an official binary-layout ``folder`` (``Cifar100Dataset``/``Cifar10Dataset``) with
    columns ``image`` (uint8 (32, 32, 3)) and ``label``; ``options`` are the reader's (shuffle, workers, shards)."""
    import mindspore.dataset as ds
    if name == "cifar100":
        source = ds.Cifar100Dataset(folder, usage=split, **options)
        return source.project(["image", "fine_label"]).rename(["fine_label"], ["label"])
    return ds.Cifar10Dataset(folder, usage=split, **options)
