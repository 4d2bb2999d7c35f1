"""torch.nn's place: `ag.nn` and `import autograd.nn as nn` give the nn package itself."""
from ._alias import alias

alias(__name__, 'nn')
