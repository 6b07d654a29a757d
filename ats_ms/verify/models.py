"""Network check: each ResNet/WRN/VGG family's MindSpore forward (inference mode) against the numpy reference.

Networks get random weights and non-trivial BatchNorm statistics, so BN, convolution, pooling and dense kernels all
matter. Tolerance 1e-4 absolute on the logits.
"""
from dataclasses import dataclass

import numpy as np

from ats_ms.reference.networks import forward

CHECKED = ("ResNet8", "ResNet20", "WRN16-1", "WRN16-2", "VGG8", "VGG11")
TOLERANCE = 1e-4


@dataclass
class ModelResult:
    """One table row of the model check."""
    name: str
    max_abs_err: float
    passed: bool

    def line(self):
        return f"{self.name:10s} max |logit err| {self.max_abs_err:9.2e} {'PASS' if self.passed else 'FAIL'}"


def randomize_bn_stats(net, seed=0):
    """Give every BatchNorm of ``net`` random gamma/beta/moving statistics in place."""
    import mindspore as ms
    rng = np.random.default_rng(seed)
    for p in net.get_parameters():
        leaf = p.name.rsplit(".", 1)[-1]
        values = {"gamma": lambda s: 0.5 + rng.random(s), "beta": lambda s: 0.2 * rng.normal(size=s),
                  "moving_mean": lambda s: 0.2 * rng.normal(size=s), "moving_variance": lambda s: 0.5 + rng.random(s),
                  "bias": lambda s: 0.1 * rng.normal(size=s)}.get(leaf)
        if values:
            p.set_data(ms.Tensor(values(p.shape).astype(np.float32)))
    return net


def run_model_check(names=CHECKED, n_classes=10, seed=0, image_size=32):
    """Compare each network with the numpy reference on the current device, on (2, 3, image_size, image_size)
    inputs; returns a list of ModelResult."""
    import mindspore as ms

    from ats_ms.models import create_model

    x = np.random.default_rng(seed).normal(size=(2, 3, image_size, image_size)).astype(np.float32)
    results = []
    for name in names:
        net = randomize_bn_stats(create_model(name, n_classes), seed)
        net.set_train(False)
        got = net(ms.Tensor(x)).asnumpy().astype(np.float64)
        want = forward(name, {p.name: p.asnumpy() for p in net.get_parameters()}, x)
        err = float(np.abs(got - want).max())
        results.append(ModelResult(name, err, bool(err <= TOLERANCE)))
    return results
