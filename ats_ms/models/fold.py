"""Fold inference BatchNorms into the convolutions that feed them (for a frozen teacher).

In inference a BatchNorm right after a convolution is an affine map per output channel, so
    W' = W * s,  b' = (b - mean) * s + beta,  s = gamma / sqrt(moving_variance + eps)
gives the same output (up to float rounding) with one pass fewer over the activations. Pairs are found in
SequentialCells (a Conv2d directly followed by a BatchNorm2d) and in blocks that declare ``FOLD_PAIRS``
(attribute names (conv, bn) where the BN consumes that conv's output). Pre-activation BNs (WRN) are left alone.
"""
import numpy as np
from mindspore import Parameter, Tensor, nn


def _folded_conv(conv, bn):
    w = conv.weight.asnumpy().astype(np.float64)
    gamma, beta = bn.gamma.asnumpy().astype(np.float64), bn.beta.asnumpy().astype(np.float64)
    mean, var = bn.moving_mean.asnumpy().astype(np.float64), bn.moving_variance.asnumpy().astype(np.float64)
    scale = gamma / np.sqrt(var + bn.eps)
    bias = conv.bias.asnumpy().astype(np.float64) if conv.has_bias else np.zeros_like(mean)
    new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                    pad_mode=conv.pad_mode, padding=conv.padding, dilation=conv.dilation, group=conv.group,
                    has_bias=True)
    new.weight = Parameter(Tensor((w * scale[:, None, None, None]).astype(np.float32)), name=conv.weight.name)
    new.bias = Parameter(Tensor(((bias - mean) * scale + beta).astype(np.float32)), name=f"{conv.weight.name}.bias")
    return new


def fold_batchnorm(net):
    """Fold every foldable (conv, BN) pair of ``net`` in place; returns the number folded. Inference only."""
    count = 0
    for _, cell in list(net.cells_and_names()):
        if isinstance(cell, nn.SequentialCell):
            layers = list(cell.cell_list)
            for i in range(len(layers) - 1):
                if isinstance(layers[i], nn.Conv2d) and isinstance(layers[i + 1], nn.BatchNorm2d):
                    cell[i] = _folded_conv(layers[i], layers[i + 1])
                    cell[i + 1] = nn.Identity()
                    count += 1
        for conv_name, bn_name in getattr(cell, "FOLD_PAIRS", ()):
            conv, bn = getattr(cell, conv_name, None), getattr(cell, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(cell, conv_name, _folded_conv(conv, bn))
                setattr(cell, bn_name, nn.Identity())
                count += 1
    return count
