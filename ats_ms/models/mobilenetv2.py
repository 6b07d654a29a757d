"""CIFAR MobileNetV2 (width 0.5, expansion 6) of the reference code; names mirror its state_dict.

Names: conv1.{0,1}, blocks.{b}.{i}.conv.{0..7}, conv2.{0,1}, classifier.0.
"""
from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import register_model

SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
            (6, 320, 1, 1)]
WIDTH_MULT = 0.5
LAST_CHANNEL = 1280


def _conv_bn_relu(in_channels, out_channels, kernel_size, stride):
    return nn.SequentialCell([conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2),
                              batch_norm(out_channels), nn.ReLU()])


class InvertedResidual(nn.Cell):
    """1x1 expand - depthwise 3x3 - 1x1 project, residual when stride 1 and shapes match."""

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.SequentialCell([
            conv2d(in_channels, hidden, 1), batch_norm(hidden), nn.ReLU(),
            conv2d(hidden, hidden, 3, stride, 1, groups=hidden), batch_norm(hidden), nn.ReLU(),
            conv2d(hidden, out_channels, 1), batch_norm(out_channels),
        ])

    def construct(self, x):
        if self.use_residual:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Cell):
    """MobileNetV2 for 32x32 inputs (global pooling: any size). Inputs: (N, 3, H, W). Outputs: (N, n_classes) logits."""

    def __init__(self, n_classes):
        super().__init__()
        in_ch = int(32 * WIDTH_MULT)
        self.conv1 = _conv_bn_relu(3, in_ch, 3, 2)
        stages = []
        for t, c, n, s in SETTINGS:
            out_ch = int(c * WIDTH_MULT)
            stages.append(nn.SequentialCell([InvertedResidual(in_ch if i == 0 else out_ch, out_ch,
                                                              s if i == 0 else 1, t) for i in range(n)]))
            in_ch = out_ch
        self.blocks = nn.CellList(stages)
        self.conv2 = _conv_bn_relu(in_ch, LAST_CHANNEL, 1, 1)
        self.pool = GlobalAvgPool()
        self.classifier = nn.SequentialCell([dense(LAST_CHANNEL, n_classes, init="normal001")])

    def construct(self, x):
        x = self.conv1(x)
        for stage in self.blocks:
            x = stage(x)
        return self.classifier(self.pool(self.conv2(x)))


register_model("MobileNetV2", MobileNetV2)
