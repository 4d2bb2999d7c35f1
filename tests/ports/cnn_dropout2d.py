"""A small CNN with Dropout2d classifying 8x8 images of strokes (horizontal, vertical,
diagonal, anti-diagonal, at random places, with noise), trained with a DataLoader loop,
written as a PyTorch user would (the MNIST example's shape, smaller)."""
import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.data import DataLoader, TensorDataset

torch.manual_seed(0)


def make_strokes(n):
    images = 0.3 * torch.randn(n, 1, 8, 8)
    labels = torch.randint(0, 4, (n,))
    for i, (label, pos) in enumerate(zip(labels.tolist(), torch.randint(1, 7, (n,)).tolist())):
        steps = torch.arange(8)
        if label == 0:
            images[i, 0, pos, :] += 1.0                                  # horizontal
        elif label == 1:
            images[i, 0, :, pos] += 1.0                                  # vertical
        elif label == 2:
            images[i, 0, steps, steps] += 1.0                            # diagonal
        else:
            images[i, 0, steps, 7 - steps] += 1.0                        # anti-diagonal
    return images, labels


x_train, y_train = make_strokes(512)
x_test, y_test = make_strokes(256)
train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


model = Net()
optimizer = optim.Adam(model.parameters(), lr=1e-2)

epoch_losses = []
for epoch in range(3):
    model.train()
    total = 0.0
    for data, target in train_loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(data)
    epoch_losses.append(total / len(train_loader.dataset))

    model.eval()
    with torch.no_grad():
        output = model(x_test)
        test_loss = F.nll_loss(output, y_test, reduction="sum").item() / len(y_test)
        correct = (output.argmax(dim=1) == y_test).sum().item()
    accuracy = correct / len(y_test)
    print(f"epoch {epoch}: train loss {epoch_losses[-1]:.4f}, test loss {test_loss:.4f}, "
          f"accuracy {correct}/{len(y_test)} ({100 * accuracy:.1f}%)")
