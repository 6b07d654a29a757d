"""CIFAR VGG 8/11/13/16/19 with BN and conv bias (reference code), with the official demo's parameter names.

Names: block{0..4}.{j} (conv, BN, ReLU in sequence, the block's last ReLU dropped), classifier. Three max-pools at
32x32 (after blocks 0, 1, 2), then a global average pool and Linear 512 -> C. The demo's VGG convs have no bias:
``ZERO_IF_MISSING`` lets its checkpoints load with zero biases. ``style="demo"`` builds the demo's VGG exactly:
convolutions without bias and MindSpore's default initialisers (convolutions and classifier).
"""
import functools
import re

from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import NET_STYLES, register_model

CONFIGS = {
    8: [[64], [128], [256], [512], [512]],
    11: [[64], [128], [256, 256], [512, 512], [512, 512]],
    13: [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    16: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    19: [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
}


def _block(widths, in_channels, style):
    layers = []
    for width in widths:
        conv = nn.Conv2d(in_channels, width, 3, pad_mode="pad", padding=1) if style == "demo" else \
            conv2d(in_channels, width, 3, 1, 1, bias=True)
        layers += [conv, batch_norm(width), nn.ReLU()]
        in_channels = width
    return nn.SequentialCell(layers[:-1])


class CifarVGG(nn.Cell):
    """VGG for 32x32 inputs (global pooling: any size). Inputs: (N, 3, H, W). Outputs: (N, n_classes) logits.

    Args:
        depth (int): 8, 11, 13, 16 or 19.
        n_classes (int): classes.
        style (str): ``paper`` (conv bias, the reference's initialisers) or ``demo`` (the official MindSpore demo).
    """

    ZERO_IF_MISSING = re.compile(r"^block\d+\.\d+\.bias$")

    def __init__(self, depth, n_classes, style="paper"):
        super().__init__()
        cfg = CONFIGS[depth]
        ins = [3] + [widths[-1] for widths in cfg[:-1]]
        self.block0, self.block1, self.block2, self.block3, self.block4 = (
            _block(w, i, style) for w, i in zip(cfg, ins))
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.relu = nn.ReLU()
        self.gap = GlobalAvgPool()
        self.classifier = nn.Dense(512, n_classes) if style == "demo" else dense(512, n_classes, init="normal001")

    def construct(self, x):
        x = self.pool(self.relu(self.block0(x)))
        x = self.pool(self.relu(self.block1(x)))
        x = self.pool(self.relu(self.block2(x)))
        x = self.relu(self.block3(x))
        x = self.relu(self.block4(x))
        return self.classifier(self.gap(x))


for _depth in CONFIGS:
    register_model(f"VGG{_depth}", functools.partial(CifarVGG, _depth), styles=NET_STYLES)
