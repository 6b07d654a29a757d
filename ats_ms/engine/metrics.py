"""Evaluation metric with the official codes' semantics: the mean of per-batch accuracies."""
import numpy as np
from mindspore.train import Metric


class BatchMeanAccuracy(Metric):
    """Top-1 accuracy averaged over batches (as the official PyTorch code and demo report it).

    Inputs to ``update``: logits (N, C), labels (N,). ``eval`` returns a float in [0, 1].
    """

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        self._batch_acc = []

    def update(self, *inputs):
        logits, labels = (self._convert_data(x) for x in inputs[-2:])
        self._batch_acc.append(float(np.mean(np.argmax(logits, axis=1) == labels.reshape(-1))))

    def eval(self):
        return float(np.mean(self._batch_acc)) if self._batch_acc else 0.0
