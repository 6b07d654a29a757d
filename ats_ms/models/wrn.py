"""Pre-activation WideResNet depth-k (16/28/40 x 1/2/4/8, dropout 0) of the reference code.

Names mirror the PyTorch state_dict: conv1, block{1,2,3}.layer.{i}.bn1/.conv1/.bn2/.conv2/.convShortcut, bn1, fc.
"""
import functools

from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import register_model

DEPTHS = (16, 28, 40)
WIDTHS = (1, 2, 4, 8)


class WideBasicBlock(nn.Cell):
    """BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus shortcut; with a projection the shortcut takes the pre-activated input."""

    FOLD_PAIRS = (("conv1", "bn2"),)

    def __init__(self, in_channels, channels, stride):
        super().__init__()
        self.bn1 = batch_norm(in_channels)
        self.conv1 = conv2d(in_channels, channels, 3, stride, 1)
        self.bn2 = batch_norm(channels)
        self.conv2 = conv2d(channels, channels, 3, 1, 1)
        self.relu = nn.ReLU()
        self.equal_in_out = in_channels == channels
        self.convShortcut = None if self.equal_in_out else conv2d(in_channels, channels, 1, stride, 0)

    def construct(self, x):
        pre = self.relu(self.bn1(x))
        out = self.conv2(self.relu(self.bn2(self.conv1(pre))))
        if self.equal_in_out:
            return x + out
        return self.convShortcut(pre) + out


class NetworkBlock(nn.Cell):
    """A stage of ``n`` WideBasicBlocks held as ``layer`` (the reference's name)."""

    def __init__(self, n, in_channels, channels, stride):
        super().__init__()
        self.layer = nn.SequentialCell([WideBasicBlock(in_channels if i == 0 else channels, channels,
                                                       stride if i == 0 else 1) for i in range(n)])

    def construct(self, x):
        return self.layer(x)


class WideResNet(nn.Cell):
    """WRN-depth-k for 32x32 inputs (global pooling: any size). Inputs: (N, 3, H, W). Outputs: (N, n_classes) logits."""

    def __init__(self, depth, widen_factor, n_classes):
        super().__init__()
        n = (depth - 4) // 6
        ch = (16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
        self.conv1 = conv2d(3, ch[0], 3, 1, 1)
        self.block1 = NetworkBlock(n, ch[0], ch[1], 1)
        self.block2 = NetworkBlock(n, ch[1], ch[2], 2)
        self.block3 = NetworkBlock(n, ch[2], ch[3], 2)
        self.bn1 = batch_norm(ch[3])
        self.relu = nn.ReLU()
        self.pool = GlobalAvgPool()
        self.fc = dense(ch[3], n_classes, init="torch_zero_bias")

    def construct(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(self.pool(self.relu(self.bn1(x))))


for _depth in DEPTHS:
    for _k in WIDTHS:
        register_model(f"WRN{_depth}-{_k}", functools.partial(WideResNet, _depth, _k))
