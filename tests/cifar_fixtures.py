"""Small CIFAR files in the official layouts, written by the tests (these machines cannot reach the real host)."""
import os
import pickle

import numpy as np


def make_arrays(n, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = (np.arange(n) % n_classes).astype(np.int64)
    return data, labels


def write_python_layout(root, name, n_train=24, n_test=12, seed=0):
    """cifar-100-python/{train,test,meta} or cifar-10-batches-py/{data_batch_1..5,test_batch}."""
    n_classes = 100 if name == "cifar100" else 10
    if name == "cifar100":
        folder = os.path.join(root, "cifar-100-python")
        files = {"train": (n_train, seed), "test": (n_test, seed + 1)}
        key = b"fine_labels"
    else:
        folder = os.path.join(root, "cifar-10-batches-py")
        files = {f"data_batch_{i}": (n_train // 5 or 1, seed + i) for i in range(1, 6)}
        files["test_batch"] = (n_test, seed + 9)
        key = b"labels"
    os.makedirs(folder, exist_ok=True)
    out = {}
    for fname, (n, s) in files.items():
        data, labels = make_arrays(n, n_classes, s)
        record = {b"data": data, key: labels.tolist(), b"filenames": [b"x.png"] * n}
        if name == "cifar100":
            record[b"coarse_labels"] = (labels % 20).tolist()
        with open(os.path.join(folder, fname), "wb") as f:
            pickle.dump(record, f, protocol=2)
        out[fname] = (data, labels)
    if name == "cifar100":
        with open(os.path.join(folder, "meta"), "wb") as f:
            pickle.dump({b"fine_label_names": [b"c%d" % i for i in range(100)]}, f, protocol=2)
    return folder, out


def write_binary_layout(root, name, n_train=24, n_test=12, seed=0, bad_label=None):
    """cifar-100-binary/{train,test}.bin or cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin."""
    n_classes = 100 if name == "cifar100" else 10
    if name == "cifar100":
        folder = os.path.join(root, "cifar-100-binary")
        files = {"train.bin": (n_train, seed), "test.bin": (n_test, seed + 1)}
    else:
        folder = os.path.join(root, "cifar-10-batches-bin")
        files = {f"data_batch_{i}.bin": (n_train // 5 or 1, seed + i) for i in range(1, 6)}
        files["test_batch.bin"] = (n_test, seed + 9)
    os.makedirs(folder, exist_ok=True)
    out = {}
    for fname, (n, s) in files.items():
        data, labels = make_arrays(n, n_classes, s)
        if bad_label is not None:
            labels[-1] = bad_label
        head = [labels % 20, labels] if name == "cifar100" else [labels]
        records = np.concatenate([np.stack(head, 1).astype(np.uint8), data], axis=1)
        records.tofile(os.path.join(folder, fname))
        out[fname] = (data, labels)
    return folder, out
