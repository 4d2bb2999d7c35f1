"""A custom autograd Function (softsign, with its own backward through
ctx.save_for_backward), checked with gradcheck and used to train a small regression
net, written as a PyTorch user would."""
import autograd as torch
import nn
from nn import optim


class Softsign(torch.autograd.Function):
    """x / (1 + |x|), derivative 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs()) ** 2


softsign = Softsign.apply

x = torch.randn(6, 3, dtype=torch.double, requires_grad=True)
grad_ok = torch.autograd.gradcheck(softsign, (x,), eps=1e-6, atol=1e-4)
print("gradcheck:", grad_ok)

torch.manual_seed(0)
inputs = torch.linspace(-3, 3, 128).unsqueeze(1)
targets = torch.sin(inputs)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(1, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(softsign(self.fc1(x)))


model = Net()
optimizer = optim.Adam(model.parameters(), lr=0.02)
losses = []
for step in range(300):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 100 == 0:
        print(f"step {step}: loss {loss.item():.5f}")
print(f"final loss {losses[-1]:.5f}")
