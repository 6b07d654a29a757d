"""Data: CIFAR-10/100 (both official layouts, safe reading, download), the embedded digits set, the pipeline."""
from ats_ms.data.pipeline import DATASETS, N_CLASSES, NORMALIZATIONS, create_dataset, load_arrays

__all__ = ["create_dataset", "load_arrays", "DATASETS", "N_CLASSES", "NORMALIZATIONS"]
