"""pytorch/examples' MNIST script in its shape (argparse, the torch.accelerator idiom, Adadelta
with StepLR(gamma=0.7), nll_loss with reduction='sum' in test(), pred.eq(target.view_as(pred)),
torch.save/load of the state_dict) on synthetic 28x28 class blobs instead of the download."""
import argparse
import os
import tempfile
import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.optim.lr_scheduler import StepLR
from nn.data import TensorDataset, DataLoader


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 12 * 12, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    test_accuracy.append(correct / len(test_loader.dataset))
    return test_loss


test_accuracy = []


def main():
    parser = argparse.ArgumentParser(description='PyTorch MNIST Example')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--no-accel', action='store_true')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--log-interval', type=int, default=10)
    parser.add_argument('--save-model', action='store_true', default=True)
    args = parser.parse_args([])
    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    if use_accel:
        device = torch.accelerator.current_accelerator()
    else:
        device = torch.device("cpu")
    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': 1000}
    if use_accel:
        accel_kwargs = {'num_workers': 1, 'pin_memory': True, 'shuffle': True}
        train_kwargs.update(accel_kwargs)
    # synthetic "digits": class-dependent blobs
    g = torch.Generator().manual_seed(0)
    n = 512
    y = torch.randint(0, 10, (n,), generator=g)
    centers = torch.randn(10, 1, 14, 14, generator=g)
    x = F.interpolate(centers[y], scale_factor=2, mode='nearest') + 0.5 * torch.randn(n, 1, 28, 28, generator=g)
    x = (x - x.mean()) / x.std()
    train_ds = TensorDataset(x[:384], y[:384])
    test_ds = TensorDataset(x[384:], y[384:])
    train_loader = torch.utils.data.DataLoader(train_ds, shuffle=True, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(test_ds, **test_kwargs)
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        tl = test(model, device, test_loader)
        scheduler.step()
    path = os.path.join(tempfile.mkdtemp(), 'mnist_cnn.pt')
    if args.save_model:
        torch.save(model.state_dict(), path)
    model2 = Net()
    model2.load_state_dict(torch.load(path, weights_only=True))
    print("final", tl)
    return tl, model, model2


if __name__ == '__main__':
    final_test_loss, model, reloaded = main()
