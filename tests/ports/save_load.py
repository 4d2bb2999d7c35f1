"""Checkpointing with torch.save / torch.load: a state_dict, then a full training
checkpoint (model, optimizer, epoch) to resume from, written as a PyTorch user would."""
import io
import os
import tempfile

import autograd as torch
import nn
import nn.functional as F
from nn import optim

torch.manual_seed(0)
X = torch.randn(64, 4)
y = X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.1


def make_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def train(model, optimizer, epochs):
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
    return loss.item()


model = make_model()
optimizer = optim.Adam(model.parameters(), lr=0.01)
train(model, optimizer, 20)

with tempfile.TemporaryDirectory() as tmp:
    # 1. weights only
    path = os.path.join(tmp, "model.pt")
    torch.save(model.state_dict(), path)
    restored = make_model()
    restored.load_state_dict(torch.load(path, weights_only=True))
    same_outputs = torch.equal(restored(X), model(X))

    # 2. a full checkpoint, resumed in a "new process" (fresh model and optimizer)
    ckpt = os.path.join(tmp, "checkpoint.pt")
    torch.save({"epoch": 20, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()}, ckpt)
    continued_loss = train(model, optimizer, 10)

    checkpoint = torch.load(ckpt, map_location="cpu")
    model2 = make_model()
    optimizer2 = optim.Adam(model2.parameters(), lr=0.01)
    model2.load_state_dict(checkpoint["model_state_dict"])
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    start_epoch = checkpoint["epoch"]
    resumed_loss = train(model2, optimizer2, 10)

# 3. a tensor through an in-memory file
buffer = io.BytesIO()
torch.save({"w": model.state_dict()["0.weight"], "note": "hello"}, buffer)
buffer.seek(0)
loaded = torch.load(buffer)

print(f"restored outputs equal: {same_outputs}; resumed from epoch {start_epoch}: "
      f"loss {resumed_loss:.6f} vs uninterrupted {continued_loss:.6f}")
