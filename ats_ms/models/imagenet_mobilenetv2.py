"""ImageNet MobileNetV2 (width 1.0) as torchvision builds it, with torchvision's state_dict names.

Layer for layer as torchvision's ``models/mobilenetv2.py`` (read at torchvision 0.29.1): ``features.0`` conv 3x3/2 -
BN - ReLU6 to 32 channels; ``features.1`` .. ``features.17`` inverted residuals (t, c, n, s) = (1, 16, 1, 1),
(6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1); ``features.18`` 1x1 conv
- BN - ReLU6 to 1280 channels; global average pooling (any input size); ``classifier`` = Dropout(0.2) + Linear.
Channels are rounded with torchvision's ``_make_divisible`` (to multiples of 8). Initialisation as torchvision:
convolutions kaiming_normal (fan_out), BatchNorm 1/0, Linear N(0, 0.01) with zero bias.

Names (after the BatchNorm renaming): features.0.{0,1}; features.{i}.conv.{j}[.{k}] where an inverted residual of
expansion 1 is conv.0.{0,1} (depthwise), conv.1 (projection), conv.2 (BN) and one of expansion 6 is conv.0.{0,1}
(expansion), conv.1.{0,1} (depthwise), conv.2, conv.3; features.18.{0,1}; classifier.1 — so torchvision's
``mobilenet_v2-b0353104.pth`` converts by renaming only.
"""
from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import register_model

SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
            (6, 320, 1, 1)]
INPUT_CHANNEL = 32
LAST_CHANNEL = 1280
ROUND_NEAREST = 8
DROPOUT = 0.2
IMAGE_SIZE = 224


def make_divisible(value, divisor, min_value=None):
    """torchvision's ``_make_divisible``: ``value`` rounded to a multiple of ``divisor``, never 10 % below it."""
    min_value = divisor if min_value is None else min_value
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return new_value + divisor if new_value < 0.9 * value else new_value


def conv_bn_relu6(in_channels, out_channels, kernel_size=3, stride=1, groups=1):
    """torchvision's Conv2dNormActivation(activation ReLU6): conv (padding (k - 1) // 2, no bias) - BN - ReLU6.

    Inputs: (N, in_channels, H, W). Outputs: (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """
    return nn.SequentialCell([conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                                     groups=groups),
                              batch_norm(out_channels), nn.ReLU6()])


class InvertedResidual(nn.Cell):
    """[1x1 expand - BN - ReLU6] - depthwise 3x3 - BN - ReLU6 - 1x1 project - BN, plus the input when stride is 1 and
    the channels match.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        stride (int): 1 or 2, of the depthwise convolution.
        expand_ratio (int): hidden width = round(in_channels * expand_ratio); 1 drops the expansion convolution.

    Inputs: (N, in_channels, H, W). Outputs: (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers = [conv_bn_relu6(in_channels, hidden, 1)] if expand_ratio != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
                   conv2d(hidden, out_channels, 1), batch_norm(out_channels)]
        self.conv = nn.SequentialCell(layers)

    def construct(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class ImageNetMobileNetV2(nn.Cell):
    """torchvision's MobileNetV2 (designed for 224x224; global pooling takes any input size >= 32).

    Args:
        n_classes (int): classes.
        width_mult (float): channel multiplier (torchvision's; the registered network uses 1.0).
        dropout (float): dropout probability before the classifier (active in training only).

    Inputs: (N, 3, H, W) float32. Outputs: (N, n_classes) logits.
    """

    def __init__(self, n_classes, width_mult=1.0, dropout=DROPOUT):
        super().__init__()
        in_ch = make_divisible(INPUT_CHANNEL * width_mult, ROUND_NEAREST)
        last = make_divisible(LAST_CHANNEL * max(1.0, width_mult), ROUND_NEAREST)
        features = [conv_bn_relu6(3, in_ch, 3, 2)]
        for t, c, n, s in SETTINGS:
            out_ch = make_divisible(c * width_mult, ROUND_NEAREST)
            for i in range(n):
                features.append(InvertedResidual(in_ch, out_ch, s if i == 0 else 1, t))
                in_ch = out_ch
        features.append(conv_bn_relu6(in_ch, last, 1))
        self.features = nn.SequentialCell(features)
        self.pool = GlobalAvgPool()
        self.classifier = nn.SequentialCell([nn.Dropout(p=dropout), dense(last, n_classes, init="normal001")])

    def construct(self, x):
        return self.classifier(self.pool(self.features(x)))


register_model("MobileNetV2-ImageNet", ImageNetMobileNetV2, image_size=IMAGE_SIZE)
