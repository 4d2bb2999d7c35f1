"""Regenerate the ag.viz pictures in docs/images (python docs/images/make_viz_images.py).

The SVGs are rendered by the WebAssembly Graphviz (`pip install "tapegrad[viz]"`),
the path a user without a Graphviz install gets."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

import autograd as ag                                  # noqa: E402
import nn                                              # noqa: E402
import nn.functional as F                              # noqa: E402
from autograd.viz import output, timing                # noqa: E402
from autograd.viz.graph import walk                    # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
output.dot_program = lambda: None                      # render as a pip-only install does


def mlp_with_gradient_norms():
    """A 2-32-32-3 MLP on the spiral data after a few SGD steps, with the second layer's
    bias pushed to -10 so its ReLUs die; then one step with record_grads, so every
    tensor carries its gradient norm."""
    ag.manual_seed(0)
    x, y = nn.data.datasets.spiral(n_per_class=50).tensors
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                          nn.Linear(32, 3))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(20):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with ag.no_grad():
        model[2].bias.fill_(-10.0)                     # a dead layer, for the picture
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    ag.viz.record_grads(loss)
    loss.backward()
    return ag.viz.draw(loss, model=model, show_grads=True)


class Block(nn.Module):
    """A ResNet basic block."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU())
        self.layer1 = nn.Sequential(Block(16, 16), Block(16, 16))
        self.layer2 = nn.Sequential(Block(16, 32, 2), Block(32, 32))
        self.layer3 = nn.Sequential(Block(32, 64, 2), Block(64, 64))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.pool(h).flatten(1))


def resnet_clusters():
    """A small ResNet's logits, each residual block drawn as one box (depth=2)."""
    ag.manual_seed(0)
    model = ResNet()
    logits = model(ag.randn(8, 3, 16, 16))
    return ag.viz.draw(logits, model=model, depth=2)


def block_profile():
    """One downsampling residual block, forward and backward profiled, its layers as boxes."""
    ag.manual_seed(0)
    block = Block(16, 32, stride=2)
    x = ag.randn(32, 16, 32, 32, requires_grad=True)
    block(x)                                           # warm up (first calls allocate)
    best = None
    for _ in range(5):                                 # the quietest of five runs (shared machine)
        with ag.viz.profile():
            out = block(x)
            out.sum().backward()
        total = sum(sum(timing.record_of(n)[:2]) for n in walk(out).nodes)
        if best is None or total < best[0]:
            best = (total, out)
    return ag.viz.draw(best[1], model=block, depth=1, profile=True, params={'x': x})


def main():
    pictures = {'viz_mlp_grads.svg': mlp_with_gradient_norms(),
                'viz_resnet_depth2.svg': resnet_clusters(),
                'viz_block_profile.svg': block_profile()}
    for name, graph in pictures.items():
        print('wrote', ag.viz.save(graph, os.path.join(HERE, name)))


if __name__ == '__main__':
    main()
