"""Evaluation of a checkpoint and export to MINDIR/AIR."""
import numpy as np

from ats_ms.utils.errors import UserError


def evaluate_checkpoint(config, path):
    """Top-1, top-5 and batch-mean accuracy of checkpoint ``path`` (network ``config.net_name``) on the test split.

    Returns:
        dict with net_name, checkpoint, images, top1, top5 (None below 5 classes), acc.
    """
    from mindspore import nn
    from mindspore.train import Model, Top1CategoricalAccuracy, Top5CategoricalAccuracy

    from ats_ms.data import create_dataset, load_arrays
    from ats_ms.engine.metrics import BatchMeanAccuracy
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict
    net = create_model(config.net_name, config.n_classes)
    load_strict(net, path, n_classes_flag=True)
    arrays = load_arrays(config.dataset, config.data_dir, "test", config.download)
    data = create_dataset(config.dataset, config.data_dir, "test", config.batch_size, n_classes=config.n_classes,
                          normalize=config.normalize, num_workers=config.num_workers, arrays=arrays)
    metrics = {"acc": BatchMeanAccuracy(), "top1": Top1CategoricalAccuracy()}
    if config.n_classes >= 5:
        metrics["top5"] = Top5CategoricalAccuracy()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = Model(net, loss_fn=loss, metrics=metrics)
    result = model.eval(data, dataset_sink_mode=False)
    return {"net_name": net.model_name, "checkpoint": path, "images": int(len(arrays[1])),
            "top1": float(result["top1"]), "top5": float(result["top5"]) if "top5" in result else None,
            "acc": float(result["acc"])}


def export_network(net_name, n_classes, ckpt_path, out_path, file_format="MINDIR"):
    """Export the checkpoint's network on a zeros (1, 3, 32, 32) float32 input (as the demo) to ``out_path``."""
    import os

    import mindspore as ms

    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict
    if file_format not in ("MINDIR", "AIR"):
        raise UserError(f"--file_format={file_format!r} is unknown; expected MINDIR or AIR (Ascend only)")
    net = create_model(net_name, n_classes)
    load_strict(net, ckpt_path, n_classes_flag=True)
    net.set_train(False)
    base = out_path[: -len(f".{file_format.lower()}")]
    ms.export(net, ms.Tensor(np.zeros((1, 3, 32, 32), np.float32)), file_name=base, file_format=file_format)
    if not os.path.isfile(out_path):
        raise UserError(f"export did not produce {out_path}")
    return out_path
