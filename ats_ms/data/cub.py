"""CUB-200-2011 in its official layout, the ``CUB_200_2011`` folder unpacked from ``CUB_200_2011.tgz``.

Layout (../shared/docs/ATS_NOTES.md section 11)::

    CUB_200_2011/images.txt               <id> <path under images/>
    CUB_200_2011/image_class_labels.txt   <id> <label>          (1-based)
    CUB_200_2011/train_test_split.txt     <id> <1 train | 0 test>
    CUB_200_2011/classes.txt              <label> <name>        e.g. 1 001.Black_footed_Albatross
    CUB_200_2011/images/<NNN.Name>/<file>.jpg

``--data_dir`` names ``CUB_200_2011`` or the folder holding it. Class names are those of ``classes.txt`` ordered by
label; labels become 0-based; each split keeps the order of ``images.txt``.
"""
import os

import numpy as np

from ats_ms.data.image_files import ImageFiles, check_split, first_missing, locate, read_lines
from ats_ms.utils.errors import UserError

DATASET = "cub200"
FOLDER = "CUB_200_2011"
MARKER = "images.txt"


def _top(data_dir):
    return locate(data_dir, FOLDER, MARKER, DATASET)


def _is_count(text):
    return text.isascii() and text.isdigit()


def _read_pairs(top, name, expected):
    """``{key: value}`` of a file of ``<key> <value>`` lines; keys are unique, values may hold spaces."""
    path = os.path.join(top, name)
    pairs = {}
    for number, line in read_lines(path, f"the CUB_200_2011 {name} ({expected} per line)", DATASET):
        fields = line.split(None, 1)
        if len(fields) != 2 or not _is_count(fields[0]):
            raise UserError(f"{DATASET}: {path} line {number} is malformed ({line[:60]!r}); expected {expected}")
        key = int(fields[0])
        if key in pairs:
            raise UserError(f"{DATASET}: {path} line {number} repeats id {key}; expected each id once")
        pairs[key] = fields[1].strip()
    return path, pairs


def _read_int_pairs(top, name, expected):
    path, pairs = _read_pairs(top, name, expected)
    for key, value in pairs.items():
        if not _is_count(value):
            raise UserError(f"{DATASET}: {path} gives id {key} the value {value[:40]!r}; expected {expected}")
    return path, {key: int(value) for key, value in pairs.items()}


def cub_classes(data_dir):
    """The class names of ``classes.txt`` (e.g. ``001.Black_footed_Albatross``), ordered by label.

    Args:
        data_dir: the ``CUB_200_2011`` folder or the folder holding it.

    Returns:
        tuple of class names; the index of a name is its 0-based label.

    Raises:
        UserError: ``classes.txt`` is missing, empty, malformed or its labels are not 1..number of classes.
    """
    path, pairs = _read_pairs(_top(data_dir), "classes.txt", "<label> <class name>")
    if not pairs:
        raise UserError(f"{DATASET}: {path} is empty; expected one '<label> <class name>' line per class")
    if sorted(pairs) != list(range(1, len(pairs) + 1)):
        gaps = sorted(set(range(1, len(pairs) + 1)) - set(pairs))
        raise UserError(f"{DATASET}: {path} lacks label {gaps[0]}; expected the labels 1..{len(pairs)}, each once")
    return tuple(pairs[label] for label in range(1, len(pairs) + 1))


def cub_split(data_dir, split):
    """The image files and labels of one CUB-200-2011 split.

    Args:
        data_dir: the ``CUB_200_2011`` folder or the folder holding it.
        split: ``"train"`` (ids marked 1 in ``train_test_split.txt``) or ``"test"`` (marked 0).

    Returns:
        ``ImageFiles`` with absolute paths in the order of ``images.txt``, 0-based int32 labels and the class names.

    Raises:
        UserError: a file of the layout is missing or malformed, an id lacks a label or a split, a label is out of
            range, or a listed image is missing.
    """
    check_split(split)
    top = _top(data_dir)
    classes = cub_classes(top)
    images_path, images = _read_pairs(top, "images.txt", "<id> <path under images/>")
    labels_path, labels = _read_int_pairs(top, "image_class_labels.txt", "<id> <label from 1>")
    split_path, flags = _read_int_pairs(top, "train_test_split.txt", "<id> <1 for train or 0 for test>")
    want = 1 if split == "train" else 0
    images_dir = os.path.join(top, "images")
    paths, out = [], []
    for key, rel in images.items():
        if key not in labels:
            raise UserError(f"{DATASET}: image id {key} of {images_path} has no label in {labels_path}; expected "
                            f"a '<id> <label>' line for every image id")
        if key not in flags:
            raise UserError(f"{DATASET}: image id {key} of {images_path} has no line in {split_path}; expected "
                            f"a '<id> <1 or 0>' line for every image id")
        if not 1 <= labels[key] <= len(classes):
            raise UserError(f"{DATASET}: {labels_path} gives image id {key} label {labels[key]}; expected a label "
                            f"in 1..{len(classes)} (the classes of classes.txt)")
        if flags[key] not in (0, 1):
            raise UserError(f"{DATASET}: {split_path} gives image id {key} the value {flags[key]}; expected 1 "
                            f"(train) or 0 (test)")
        if flags[key] == want:
            paths.append(os.path.join(images_dir, *rel.split("/")))
            out.append(labels[key] - 1)
    if not paths:
        raise UserError(f"{DATASET}: {split_path} marks no image as {split}; expected some ids marked {want}")
    missing = first_missing(paths)
    if missing is not None:
        raise UserError(f"{DATASET}: {missing} not found; expected every image of {images_path} under {images_dir}")
    return ImageFiles(paths=paths, labels=np.asarray(out, dtype=np.int32), class_names=classes)
