"""Functional resampling (PyTorch's signatures); re-exported by nn.functional.

interpolate itself lives with the engine (autograd/ops/interpolate.py); the
upsample* names are PyTorch's older spellings of it.
"""
from autograd.ops.interpolate import interpolate

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]


def upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode='nearest')


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)
