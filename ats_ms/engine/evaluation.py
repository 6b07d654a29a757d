"""Evaluation (test accuracy of one or several networks in one pass over the data) and export to MINDIR/AIR."""
import numpy as np

from ats_ms.utils.errors import UserError


def test_accuracy(predict, dataset, n_outputs, n_classes):
    """Accuracies of ``n_outputs`` networks evaluated together on ``dataset``.

    Args:
        predict (callable): images Tensor (N, 3, H, W) -> logits Tensor (n_outputs, N, C).
        dataset: mindspore dataset of (image, label) batches.
        n_outputs (int): networks evaluated.
        n_classes (int): classes (top-5 only with 5 or more).

    Returns:
        list[dict]: per network ``acc`` (mean of per-batch accuracies, as the official codes report), ``top1`` and
        ``top5`` (over all images; None below 5 classes) and ``images``.
    """
    batch_acc = [[] for _ in range(n_outputs)]
    hits1, hits5 = np.zeros(n_outputs), np.zeros(n_outputs)
    images = 0
    for batch_images, labels in dataset.create_tuple_iterator(num_epochs=1):
        logits = predict(batch_images).asnumpy()
        labels = labels.asnumpy().reshape(-1)
        correct = logits.argmax(-1) == labels[None, :]
        for k in range(n_outputs):
            batch_acc[k].append(float(correct[k].mean()))
        hits1 += correct.sum(-1)
        if n_classes >= 5:
            top5 = np.argpartition(-logits, 4, axis=-1)[..., :5]
            hits5 += (top5 == labels[None, :, None]).any(-1).sum(-1)
        images += len(labels)
    return [{"acc": float(np.mean(batch_acc[k])) if batch_acc[k] else 0.0, "top1": float(hits1[k] / max(images, 1)),
             "top5": float(hits5[k] / max(images, 1)) if n_classes >= 5 else None, "images": images}
            for k in range(n_outputs)]


def build_network(config, path):
    """The network of checkpoint ``path`` (name, style and classes from ``config``), loaded strictly."""
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict
    net = create_model(config.net_name, config.n_classes, style=config.net_style)
    load_strict(net, path, n_classes_flag=True)
    net.set_train(False)
    return net


def evaluate_checkpoint(config, path):
    """Top-1, top-5 and batch-mean accuracy of checkpoint ``path`` on the test split of ``config.dataset``.

    Returns:
        dict with net_name, checkpoint, images, top1, top5 (None below 5 classes), acc.
    """
    from mindspore import ops

    from ats_ms.data.pipeline import create_dataset, open_split
    from ats_ms.engine.trainer import data_options
    net = build_network(config, path)
    data = open_split(config.dataset, config.data_dir, "test", config.download, config.max_test)
    dataset = create_dataset(config.dataset, config.data_dir, "test", config.batch_size, n_classes=config.n_classes,
                             num_workers=config.num_workers, data=data, **data_options(config))
    result = test_accuracy(lambda x: ops.expand_dims(net(x), 0), dataset, 1, config.n_classes)[0]
    return {"net_name": net.model_name, "net_style": net.net_style, "checkpoint": path, **result}


def export_network(config, ckpt_path, out_path):
    """Export the checkpoint's network on a zeros (1, 3, S, S) float32 input (as the demo, with S the recorded
    ``image_size``: 32 for CIFAR) to ``out_path``."""
    import os

    import mindspore as ms

    from ats_ms.utils.files import atomic_path
    net = build_network(config, ckpt_path)
    suffix = f".{config.file_format.lower()}"
    with atomic_path(out_path) as tmp:  # MindSpore appends the suffix to the name it is given
        size = config.image_size
        ms.export(net, ms.Tensor(np.zeros((1, 3, size, size), np.float32)), file_name=tmp[: -len(suffix)],
                  file_format=config.file_format)
        if not os.path.isfile(tmp):
            raise UserError(f"export did not produce {out_path}")
    return out_path
