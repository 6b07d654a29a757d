"""Stanford Dogs in its official layout: ``images.tar`` unpacked beside the ``.mat`` lists of ``lists.tar``.

Layout (../shared/docs/ATS_NOTES.md section 11)::

    TOP/Images/<wnid>-<breed>/<wnid>_<n>.jpg    from images.tar (one file is a PNG under a .jpg name)
    TOP/train_list.mat, TOP/test_list.mat       from lists.tar (with file_list.mat, the union, not read here)

Each list is a MATLAB v5 file with ``file_list`` (cell array (N, 1) of ``<wnid>-<breed>/<file>.jpg``),
``annotation_list`` (not read) and ``labels`` ((N, 1), 1-based, 120 classes). ``--data_dir`` names TOP or the folder
holding it as ``StanfordDogs``, ``stanford-dogs`` or ``stanford_dogs``. The class names are the breed folder names
(``n02085620-Chihuahua``) ordered by label, as ``train_list.mat`` pairs them; labels become 0-based; each split keeps
the order of its list.
"""
import os

import numpy as np

from ats_ms.data.image_files import ImageFiles, check_split, first_missing, locate, one_line
from ats_ms.utils.errors import UserError

DATASET = "stanford-dogs"
FOLDERS = ("StanfordDogs", "stanford-dogs", "stanford_dogs")
MARKER = "train_list.mat"
LISTS = {"train": "train_list.mat", "test": "test_list.mat"}


def _top(data_dir):
    top = locate(data_dir, FOLDERS, MARKER, DATASET)
    images = os.path.join(top, "Images")
    if not os.path.isdir(images):
        raise UserError(f"{DATASET}: {images} not found; expected the breed folders of images.tar "
                        f"(Images/<wnid>-<breed>/<file>.jpg) beside {MARKER}")
    return top


def _text(cell):
    """The string held by one cell of a MATLAB cell array as scipy loads it (arrays nested around one string)."""
    while isinstance(cell, np.ndarray):
        if cell.size != 1:
            raise ValueError("not one string")
        cell = cell.ravel()[0]
    if isinstance(cell, bytes):
        cell = cell.decode("utf-8")
    if not isinstance(cell, str):
        raise ValueError("not a string")
    return cell


def _load_list(top, name):
    """(path, file_list entries, 1-based int64 labels) of one ``.mat`` list, its structure checked."""
    path = os.path.join(top, name)
    if not os.path.isfile(path):
        raise UserError(f"{DATASET}: {path} not found; expected {name} from the Stanford Dogs lists.tar beside Images/")
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises ValueError, TypeError, NotImplementedError (v7.3 files), ... on bad files
        raise UserError(f"{DATASET}: {path} is not a MATLAB file scipy can read ({type(exc).__name__}: "
                        f"{one_line(exc)[:80]}); expected {name} from the Stanford Dogs lists.tar")
    for var in ("file_list", "labels"):
        if var not in mat:
            raise UserError(f"{DATASET}: {path} has no variable {var!r}; expected 'file_list' and 'labels' as in the "
                            f"official {name}")
    cells = np.asarray(mat["file_list"], dtype=object).ravel()
    files = []
    for i, cell in enumerate(cells):
        try:
            entry = _text(cell)
        except (ValueError, UnicodeDecodeError):
            entry = None
        if entry is None or len(entry.split("/")) != 2 or not all(entry.split("/")):
            raise UserError(f"{DATASET}: {path} file_list entry {i + 1} is {one_line(repr(cell))[:60]}; expected a "
                            f"cell array of '<wnid>-<breed>/<file>.jpg' strings")
        files.append(entry)
    labels = np.asarray(mat["labels"]).ravel()
    if labels.dtype.kind not in "iuf" or not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
        raise UserError(f"{DATASET}: {path} labels are {labels.dtype} {one_line(labels[:3])}...; expected whole "
                        f"numbers from 1")
    if len(files) != len(labels):
        raise UserError(f"{DATASET}: {path} has {len(files)} file_list entries but {len(labels)} labels; expected "
                        f"one label per file")
    if not files:
        raise UserError(f"{DATASET}: {path} lists no file; expected the official {name}")
    return path, files, labels.astype(np.int64)


def _classes(top):
    """(path of train_list.mat, breed folder names ordered by label) with the pairing checked."""
    path, files, labels = _load_list(top, MARKER)
    if labels.min() < 1:
        raise UserError(f"{DATASET}: {path} holds label {labels.min()}; expected labels from 1")
    folder_of, label_of = {}, {}
    for entry, label in zip(files, labels.tolist()):
        folder = entry.split("/")[0]
        if folder_of.setdefault(label, folder) != folder:
            raise UserError(f"{DATASET}: {path} gives label {label} to files of both {folder_of[label]}/ and "
                            f"{folder}/; expected one breed folder per label")
        if label_of.setdefault(folder, label) != label:
            raise UserError(f"{DATASET}: {path} gives the files of {folder}/ labels {label_of[folder]} and {label}; "
                            f"expected one label per breed folder")
    n_classes = int(labels.max())
    unused = sorted(set(range(1, n_classes + 1)) - set(folder_of))
    if unused:
        raise UserError(f"{DATASET}: {path} has no file of label {unused[0]}; expected every label of "
                        f"1..{n_classes} (one per breed folder) used")
    return path, tuple(folder_of[label] for label in range(1, n_classes + 1))


def dogs_classes(data_dir):
    """The class names: the breed folder names (``n02085620-Chihuahua``) ordered by their label in train_list.mat.

    Args:
        data_dir: the folder holding ``Images/`` and ``train_list.mat``, or the folder holding it as
            ``StanfordDogs``, ``stanford-dogs`` or ``stanford_dogs``.

    Returns:
        tuple of breed folder names; the index of a name is its 0-based label.

    Raises:
        UserError: ``Images/`` or ``train_list.mat`` is missing, or the list is malformed or pairs labels and folders
            inconsistently.
    """
    return _classes(_top(data_dir))[1]


def dogs_split(data_dir, split):
    """The image files and labels of one Stanford Dogs split.

    Args:
        data_dir: as for ``dogs_classes``.
        split: ``"train"`` (``train_list.mat``) or ``"test"`` (``test_list.mat``).

    Returns:
        ``ImageFiles`` with absolute paths in the order of the list, 0-based int32 labels and the class names.

    Raises:
        UserError: a folder or list is missing or malformed, a label is out of range or names another breed folder
            than in train_list.mat, or a listed file is missing.
    """
    check_split(split)
    top = _top(data_dir)
    train_path, classes = _classes(top)
    path, files, labels = _load_list(top, LISTS[split])
    bad = labels[(labels < 1) | (labels > len(classes))]
    if bad.size:
        raise UserError(f"{DATASET}: {path} holds label {bad[0]}; expected labels in 1..{len(classes)} (the breed "
                        f"folders of {MARKER})")
    for entry, label in zip(files, labels.tolist()):
        if entry.split("/")[0] != classes[label - 1]:
            raise UserError(f"{DATASET}: {path} gives {entry} label {label}, which is {classes[label - 1]}/ in "
                            f"{train_path}; expected the same breed folder for a label in both lists")
    images = os.path.join(top, "Images")
    paths = [os.path.join(images, *entry.split("/")) for entry in files]
    missing = first_missing(paths)
    if missing is not None:
        raise UserError(f"{DATASET}: {missing} not found; expected every file of {path} under {images}")
    return ImageFiles(paths=paths, labels=(labels - 1).astype(np.int32), class_names=classes)
