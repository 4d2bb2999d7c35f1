"""torch.optim's place: `ag.optim` is nn.optim (optimizers, lr_scheduler)."""
from ._alias import alias

alias(__name__, 'nn.optim')
