"""One registry for every dataset: ``register_dataset``, ``get_dataset``, ``dataset_names`` and ``check_dataset``.

An entry (``DatasetEntry``) says everything the rest of ats_ms needs to know about a dataset: its class names (or how
to read them from the files), its default image size, normalisation and transform recipe, and how it opens a split
(``train`` or ``test``) under ``--data_dir``: as arrays in memory (CIFAR, digits) or as a list of image files that
the pipeline decodes in its workers (folder, tiny-imagenet, cub200, stanford-dogs). The ``--dataset`` flag, its
``--help``, the class count, the records and the pipeline derive from the entries, read when first asked for: an entry
registered by a user's code after ``import ats_ms`` is as good as a built-in one.

    from ats_ms.data.registry import DatasetEntry, register_dataset
    register_dataset(DatasetEntry("my-set", "my photos", image_size=96, normalize="imagenet",
                                  recipe="resized-crop", classes=my_classes, open_files=my_split))
"""
from dataclasses import dataclass
from typing import Callable, Optional

from ats_ms.data.transforms import RECIPES
from ats_ms.utils.checks import range_check
from ats_ms.utils.errors import UserError

SPLITS = ("train", "test")
IMAGE_SIZE_RANGE = range_check(16, 1024, integer=True)  # --image_size and every entry's default
_ENTRIES = {}


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset.

    Args:
        name (str): the ``--dataset`` value.
        summary (str): one line for ``--help``.
        image_size (int): default ``--image_size`` (the networks' input is image_size x image_size).
        normalize (str): default ``--normalize`` (a key of ``ats_ms.data.transforms.NORMALIZATIONS``).
        recipe (str): default ``--transform``: ``crop`` (small images) or ``resized-crop`` (ImageNet's).
        classes (callable): ``classes(data_dir) -> tuple[str]``, the class names in label order (cheap: no image
            is read).
        n_classes (int | None): the fixed class count (None: ``len(classes(data_dir))``).
        open_arrays (callable | None): ``open_arrays(data_dir, split, download) -> (images uint8 (N, H, W, 3),
            labels int32 (N,))`` for a dataset held in memory.
        open_files (callable | None): ``open_files(data_dir, split) -> ImageFiles`` for a dataset of image files.
        download (callable | None): ``download(data_dir)`` fetches the files when ``--download True``.
        open_native (callable | None): ``open_native(data_dir, split, download) -> DataSplit | None``: a split
            read by one of MindSpore's C++ readers when the files allow it (CIFAR's official binary layout), tried
            before ``open_arrays`` when the whole split is used.
    """
    name: str
    summary: str
    image_size: int
    normalize: str
    recipe: str
    classes: Callable
    n_classes: Optional[int] = None
    open_arrays: Optional[Callable] = None
    open_files: Optional[Callable] = None
    download: Optional[Callable] = None
    open_native: Optional[Callable] = None

    def class_count(self, data_dir):
        """The number of classes (read from the files when it is not fixed)."""
        return self.n_classes if self.n_classes is not None else len(self.classes(data_dir))

    @property
    def from_files(self):
        """Whether the images are files decoded by the pipeline (else arrays in memory)."""
        return self.open_files is not None


def register_dataset(entry):
    """Register ``entry`` (a ``DatasetEntry``); a name registered twice is a UserError. Returns the entry."""
    if not isinstance(entry, DatasetEntry):
        raise TypeError("register_dataset takes a DatasetEntry")
    if (entry.open_arrays is None) == (entry.open_files is None):
        raise ValueError(f"dataset {entry.name}: give exactly one of open_arrays and open_files")
    from ats_ms.data.transforms import NORMALIZATIONS
    IMAGE_SIZE_RANGE(f"dataset {entry.name}: image_size", entry.image_size)
    if entry.recipe not in RECIPES or entry.normalize not in NORMALIZATIONS:
        raise ValueError(f"dataset {entry.name}: recipe {entry.recipe!r}, normalize {entry.normalize!r}; expected a "
                         f"recipe of {', '.join(RECIPES)} and a normalisation of {', '.join(NORMALIZATIONS)}")
    _ensure_loaded()
    if entry.name.lower() in (n.lower() for n in _ENTRIES):
        raise UserError(f"dataset {entry.name} registered twice; expected one entry per name")
    _ENTRIES[entry.name] = entry
    return entry


_LOADED = []


def _ensure_loaded():
    """Register the built-in entries once (before any user entry, whenever that comes)."""
    if not _LOADED:
        _LOADED.append(True)
        from ats_ms.data import builtin  # noqa: F401 (registers the built-in entries)


def dataset_names():
    """The registered dataset names, built-ins first."""
    _ensure_loaded()
    return tuple(_ENTRIES)


def get_dataset(name, label="--dataset"):
    """The entry of dataset ``name`` (any case); UserError naming ``label`` and the registered names otherwise."""
    _ensure_loaded()
    for key, entry in _ENTRIES.items():
        if isinstance(name, str) and key.lower() == name.strip().lower():
            return entry
    raise UserError(f"{label}={name!r} is not allowed; expected one of {', '.join(_ENTRIES)}")


class _DatasetCheck:
    """The flag-table check of ``--dataset``: the registered spelling; ``expected`` (the help) lists the names."""

    def __call__(self, label, value):
        return get_dataset(value, label).name

    @property
    def expected(self):
        _ensure_loaded()
        return "one of " + ", ".join(f"{e.name} ({e.summary})" for e in _ENTRIES.values())


check_dataset = _DatasetCheck()
