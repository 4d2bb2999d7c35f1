"""A small ResNet (BasicBlock with a downsample Sequential, kaiming_normal_(mode='fan_out')) trained
the way a prototyper does: a Dataset returning dicts (default collate of ints, NumPy scalars and
arrays), random_split, weight-decay param groups from named_parameters, AdamW, OneCycleLR per
batch, ReduceLROnPlateau, label smoothing, early stopping and a best-checkpoint save/load."""
import os
import tempfile

import numpy as np
import autograd as torch
import nn
import nn.functional as F
from nn.data import Dataset, DataLoader, TensorDataset, random_split


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=4):
        super().__init__()
        self.inplanes = 8
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 8, layers[0])
        self.layer2 = self._make_layer(block, 16, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


class DictSet(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"image": self.X[i], "label": int(self.y[i]), "w": np.float32(1.0), "meta": np.array([i, 2 * i])}


torch.manual_seed(0)
N = 320
y = torch.randint(0, 4, (N,))
X = torch.randn(N, 3, 16, 16) * 0.5
for c in range(4):
    X[y == c, c % 3, (c // 3) * 8:(c // 3) * 8 + 8] += 1.0
full = DictSet(X, y)
train_set, val_set = random_split(full, [256, 64], generator=torch.Generator().manual_seed(42))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=True)
val_loader = DataLoader(val_set, batch_size=64)
b = next(iter(train_loader))
print(sorted(b.keys()), b["label"].dtype, b["w"].dtype, b["meta"].shape, b["meta"].dtype)

model = ResNet(BasicBlock, [1, 1])
print(f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable")
decay, no_decay = [], []
for name, p in model.named_parameters():
    if not p.requires_grad:
        continue
    if p.ndim <= 1 or name.endswith(".bias") or "bn" in name:
        no_decay.append(p)
    else:
        decay.append(p)
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                               {"params": no_decay, "weight_decay": 0.0}], lr=3e-3)
epochs = 4
sched = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, steps_per_epoch=len(train_loader), epochs=epochs)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'min', patience=1, factor=0.5)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
ckpt_path = os.path.join(tempfile.mkdtemp(), 'best.pt')
best, bad, patience = float("inf"), 0, 3
for epoch in range(epochs):
    model.train()
    tot = 0.0
    for batch in train_loader:
        xb, yb = batch["image"], batch["label"]
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        sched.step()
        tot += loss.item() * xb.size(0)
    model.eval()
    correct, vl = 0, 0.0
    with torch.no_grad():
        for batch in val_loader:
            out = model(batch["image"])
            vl += F.cross_entropy(out, batch["label"], reduction="sum").item()
            _, predicted = torch.max(out.data, 1)
            correct += (predicted == batch["label"]).sum().item()
    vl /= len(val_set)
    val_acc = correct / len(val_set)
    plateau.step(vl)
    print(f"epoch {epoch} train {tot / 256:.4f} val {vl:.4f} acc {correct / len(val_set):.3f} lr {optimizer.param_groups[0]['lr']:.5f}")
    if vl < best:
        best, bad = vl, 0
        torch.save({"model": model.state_dict(), "opt": optimizer.state_dict(), "epoch": epoch}, ckpt_path)
    else:
        bad += 1
        if bad >= patience:
            print("early stop")
            break
ck = torch.load(ckpt_path, weights_only=True)
model.load_state_dict(ck["model"])
optimizer.load_state_dict(ck["opt"])
print("best epoch", ck["epoch"], "best", round(best, 4))
a = torch.tensor(np.arange(6.0).reshape(2, 3))
print(a.dtype, torch.from_numpy(np.ones(3)).float().dtype, a.numpy().dtype, a.float().mean().item())
