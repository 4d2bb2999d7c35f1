"""An MLP classifying three interleaved spirals: torch.device, .to(device), a DataLoader
loop and f-string loss printing, written as a PyTorch user would."""
import math

import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"using {device}")


def make_spirals(n_per_class, classes=3):
    xs, ys = [], []
    for c in range(classes):
        r = torch.linspace(0.1, 1.0, n_per_class)
        theta = torch.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 3.0,
                               n_per_class) + 0.1 * torch.randn(n_per_class)
        xs.append(torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1))
        ys.append(torch.full((n_per_class,), c, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)


X, y = make_spirals(100)
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)


class MLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 3))

    def forward(self, x):
        return self.net(x)


model = MLP().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(30):
    running = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        running += loss.item() * inputs.size(0)
    epoch_loss = running / len(loader.dataset)
    if epoch % 10 == 9:
        print(f"epoch {epoch + 1:2d}  loss {loss:.4f}  (epoch mean {epoch_loss:.4f})")

model.eval()
with torch.no_grad():
    logits = model(X.to(device))
    _, predicted = torch.max(logits.data, 1)
    accuracy = (predicted == y.to(device)).float().mean().item()
print(f"train accuracy: {accuracy:.2%}")
