"""torch.utils.data's place: this module is nn.data itself."""
from .._alias import alias

alias(__name__, 'nn.data')
