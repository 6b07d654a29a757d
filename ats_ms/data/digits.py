"""Embedded default dataset ``digits``: scikit-learn's bundled handwritten digits (1,797 real 8x8 images, 10 classes).

The images ship inside the scikit-learn wheel (no download): ``sklearn/datasets/data/digits.csv.gz`` is read directly
(importing scikit-learn would add half a second to every command on digits), through ``sklearn.datasets.load_digits``
only where that file is not found. Each 8x8 image (values 0..16) is scaled to 0..255 and
upscaled to 32x32 by bilinear interpolation, replicated to 3 channels. The train/test split is fixed and stratified:
80 % / 20 % per class with a fixed seed (1,438 / 359 images).
"""
import gzip
import importlib.util
import os

import numpy as np

from ats_ms.utils.errors import UserError

N_CLASSES = 10
SPLIT_SEED = 0
TEST_FRACTION = 0.2


def _upscale(images):
    """(N, 8, 8) float -> (N, 32, 32) by bilinear interpolation with pixel-centre alignment."""
    src = (np.arange(32) + 0.5) / 4 - 0.5
    lo = np.clip(np.floor(src).astype(int), 0, 7)
    hi = np.clip(lo + 1, 0, 7)
    w = np.clip(src - lo, 0, 1)
    rows = images[:, lo, :] * (1 - w)[None, :, None] + images[:, hi, :] * w[None, :, None]
    return rows[:, :, lo] * (1 - w)[None, None, :] + rows[:, :, hi] * w[None, None, :]


def split_indices(labels, seed=SPLIT_SEED, test_fraction=TEST_FRACTION):
    """Stratified (train_idx, test_idx): per class, a seeded permutation puts round(fraction * n) images in test."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _bundled_csv():
    """Path of scikit-learn's ``digits.csv.gz`` (found without importing scikit-learn), or None."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            return path
    return None


def digits_arrays():
    """All 1,797 images (N, 8, 8) float64 (values 0..16) and labels (N,) int32: ``sklearn.datasets.load_digits``'s
    images and targets, in its order."""
    path = _bundled_csv()
    if path is not None:
        with gzip.open(path, "rt") as f:
            data = np.loadtxt(f, delimiter=",")
        return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(np.int32)
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise UserError("dataset digits needs scikit-learn (in requirements.txt); pip install scikit-learn")
    bunch = sk_load_digits()
    return bunch.images.astype(np.float64), bunch.target.astype(np.int32)


def load_digits(split):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int32 of the fixed ``train`` or ``test`` split."""
    all_images, labels = digits_arrays()
    train, test = split_indices(labels)
    idx = train if split == "train" else test
    images = _upscale(all_images[idx].astype(np.float64)) * (255.0 / 16.0)
    images = np.clip(np.round(images), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(images[..., None], 3, axis=-1)), labels[idx]
