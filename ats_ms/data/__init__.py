"""Data: the dataset registry (CIFAR-10/100, the embedded digits, image folders, Tiny ImageNet, CUB-200-2011,
Stanford Dogs), their readers, the transform recipes and the pipeline."""
from ats_ms.data.pipeline import create_dataset, load_arrays, open_split
from ats_ms.data.registry import DatasetEntry, dataset_names, get_dataset, register_dataset
from ats_ms.data.transforms import NORMALIZATIONS

__all__ = ["create_dataset", "load_arrays", "open_split", "DatasetEntry", "dataset_names", "get_dataset",
           "register_dataset", "NORMALIZATIONS"]
