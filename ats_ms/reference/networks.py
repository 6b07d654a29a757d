"""Numpy inference of ResNet, WideResNet and VGG from a {parameter name: ndarray} dict (no mindspore).

Layers compute in float64: convolution by im2col, BatchNorm with moving statistics (eps 1e-5), ReLU, 2x2 max-pool,
global average pool, dense. Parameter names are those of ``ats_ms.models`` (MindSpore BN names).
"""
import re

import numpy as np

BN_EPS = 1e-5


def conv2d(x, weight, stride=1, padding=0, bias=None):
    """(N, Cin, H, W) * (Cout, Cin, k, k) -> (N, Cout, H', W'), zero padding, no groups."""
    n, c, h, w = x.shape
    k = weight.shape[-1]
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    cols = np.empty((n, c, k, k, ho, wo), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = x[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
    out = np.tensordot(cols, weight, axes=([1, 2, 3], [1, 2, 3])).transpose(0, 3, 1, 2)
    return out if bias is None else out + bias[None, :, None, None]


def batch_norm(x, p, prefix):
    """Inference BatchNorm with the moving statistics of ``prefix`` in ``p``."""
    scale = p[f"{prefix}.gamma"] / np.sqrt(p[f"{prefix}.moving_variance"] + BN_EPS)
    shift = p[f"{prefix}.beta"] - p[f"{prefix}.moving_mean"] * scale
    return x * scale[None, :, None, None] + shift[None, :, None, None]


def relu(x):
    return np.maximum(x, 0.0)


def max_pool2(x):
    """2x2 max-pool, stride 2."""
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def dense(x, p, prefix):
    return x @ p[f"{prefix}.weight"].T + p[f"{prefix}.bias"]


def _count(p, pattern):
    return len({m.group(1) for m in (re.match(pattern, k) for k in p) if m})


def resnet_forward(p, x):
    """CIFAR ResNet (any depth, read from the names) logits for (N, 3, H, W) input (32x32 in the paper)."""
    x = relu(batch_norm(conv2d(x, p["conv1.weight"], 1, 1), p, "bn1"))
    for stage in (1, 2, 3):
        for i in range(_count(p, rf"layer{stage}\.(\d+)\.conv1\.weight")):
            pre = f"layer{stage}.{i}"
            stride = 2 if stage > 1 and i == 0 else 1
            out = relu(batch_norm(conv2d(x, p[f"{pre}.conv1.weight"], stride, 1), p, f"{pre}.bn1"))
            out = batch_norm(conv2d(out, p[f"{pre}.conv2.weight"], 1, 1), p, f"{pre}.bn2")
            if f"{pre}.downsample.0.weight" in p:
                x = batch_norm(conv2d(x, p[f"{pre}.downsample.0.weight"], stride), p, f"{pre}.downsample.1")
            x = relu(out + x)
    return dense(x.mean(axis=(2, 3)), p, "fc")


def wrn_forward(p, x):
    """Pre-activation WideResNet logits for (N, 3, H, W) input (32x32 in the paper)."""
    x = conv2d(x, p["conv1.weight"], 1, 1)
    for stage in (1, 2, 3):
        for i in range(_count(p, rf"block{stage}\.layer\.(\d+)\.conv1\.weight")):
            pre = f"block{stage}.layer.{i}"
            stride = 2 if stage > 1 and i == 0 else 1
            act = relu(batch_norm(x, p, f"{pre}.bn1"))
            out = relu(batch_norm(conv2d(act, p[f"{pre}.conv1.weight"], stride, 1), p, f"{pre}.bn2"))
            out = conv2d(out, p[f"{pre}.conv2.weight"], 1, 1)
            short = f"{pre}.convShortcut.weight"
            x = (conv2d(act, p[short], stride) if short in p else x) + out
    return dense(relu(batch_norm(x, p, "bn1")).mean(axis=(2, 3)), p, "fc")


def vgg_forward(p, x):
    """CIFAR VGG (conv + BN blocks, 3 max-pools) logits for (N, 3, H, W) input (32x32 in the paper)."""
    for block in range(5):
        layers = sorted(int(m.group(1)) for m in (re.match(rf"block{block}\.(\d+)\.weight$", k) for k in p) if m)
        convs = [i for i in layers if p[f"block{block}.{i}.weight"].ndim == 4]
        for n, i in enumerate(convs):
            x = batch_norm(conv2d(x, p[f"block{block}.{i}.weight"], 1, 1, p.get(f"block{block}.{i}.bias")),
                           p, f"block{block}.{i + 1}")
            if n < len(convs) - 1:
                x = relu(x)
        x = relu(x)
        if block < 3:
            x = max_pool2(x)
    return dense(x.mean(axis=(2, 3)), p, "classifier")


FORWARDS = {"ResNet": resnet_forward, "WRN": wrn_forward, "VGG": vgg_forward}


def forward(model_name, params, x):
    """Logits of registry network ``model_name`` (a ResNet, WRN or VGG) with ``params`` on input ``x``."""
    family = re.match(r"^(ResNet|WRN|VGG)\d", model_name)
    if not family:
        raise ValueError(f"no numpy reference for {model_name}; expected a ResNet, WRN or VGG")
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return FORWARDS[family.group(1)](p, np.asarray(x, dtype=np.float64))
