"""Fit a damped sine to noisy samples with L-BFGS and a closure, as a PyTorch user would."""
import autograd as torch
import nn
from nn import optim

torch.manual_seed(0)

# noisy samples of y = 2.0 * exp(-0.5 t) * sin(3 t + 0.3)
t = torch.linspace(0, 4, 200)
true = 2.0 * torch.exp(-0.5 * t) * torch.sin(3.0 * t + 0.3)
y = true + 0.02 * torch.randn(200)


class DampedSine(nn.Module):
    def __init__(self):
        super().__init__()
        self.amplitude = nn.Parameter(torch.tensor(1.0))
        self.decay = nn.Parameter(torch.tensor(0.1))
        self.freq = nn.Parameter(torch.tensor(2.5))
        self.phase = nn.Parameter(torch.tensor(0.0))

    def forward(self, t):
        return self.amplitude * torch.exp(-self.decay * t) * torch.sin(self.freq * t + self.phase)


model = DampedSine()
optimizer = optim.LBFGS(model.parameters(), lr=1, max_iter=20, history_size=10,
                        line_search_fn="strong_wolfe")
loss_fn = nn.MSELoss()


def closure():
    optimizer.zero_grad()
    loss = loss_fn(model(t), y)
    loss.backward()
    return loss


for epoch in range(5):
    loss = optimizer.step(closure)
    print(f"epoch {epoch}: loss {loss.item():.6f}")

final_loss = loss_fn(model(t), y).item()
fitted = {name: p.item() for name, p in model.named_parameters()}
print("fitted:", ", ".join(f"{k}={v:.3f}" for k, v in fitted.items()),
      f"final loss {final_loss:.6f} (noise variance {0.02 ** 2:.6f})")
