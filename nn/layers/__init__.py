"""Layers: nn.Linear, nn.BatchNorm2d, the activations and losses as modules, ...

Each submodule lists its public names in `__all__`; nn re-exports them all.
"""
from . import (activation, activation_more, attention, conv, dropout, embedding, fold, layers_more,
               linear, loss, loss_more, normalization, pooling, rnn, transformer, upsample)
from .activation import *  # noqa: F401,F403
from .activation_more import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .layers_more import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .loss_more import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsample import *  # noqa: F401,F403

__all__ = (linear.__all__ + activation.__all__ + activation_more.__all__ + dropout.__all__
           + normalization.__all__ + embedding.__all__ + loss.__all__ + loss_more.__all__
           + conv.__all__ + pooling.__all__ + rnn.__all__ + attention.__all__
           + transformer.__all__ + upsample.__all__ + fold.__all__ + layers_more.__all__)
