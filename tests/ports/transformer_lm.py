"""A tiny character-level Transformer language model, written as a PyTorch user would.

Ported by changing only the imports (torch -> autograd, torch.nn -> nn, ...)."""
import autograd as torch
import nn
import nn.functional as F
from nn import optim

torch.manual_seed(0)

text = ("the quick brown fox jumps over the lazy dog. "
        "a lazy dog sleeps in the sun while the quick fox runs. "
        "the fox and the dog are friends in the end. ")
chars = sorted(set(text))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for ch, i in stoi.items()}
encode = lambda s: [stoi[c] for c in s]          # noqa: E731
decode = lambda ids: "".join(itos[i] for i in ids)  # noqa: E731

data = torch.tensor(encode(text), dtype=torch.int64)
block_size, batch_size = 24, 16


def get_batch():
    ix = torch.randint(0, len(data) - block_size - 1, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


class CharTransformer(nn.Module):
    def __init__(self, vocab_size, d_model=32, nhead=4, num_layers=2):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model,
                                           dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(block_size))

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
        x = self.encoder(x, mask=self.causal_mask[:T, :T], is_causal=True)
        return self.head(self.ln_f(x))


model = CharTransformer(vocab_size)
optimizer = optim.AdamW(model.parameters(), lr=5e-3)
print(f"{sum(p.numel() for p in model.parameters())} parameters")

losses = []
for step in range(100):
    xb, yb = get_batch()
    logits = model(xb)
    loss = F.cross_entropy(logits.view(-1, vocab_size), yb.view(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 50 == 0:
        print(f"step {step}: loss {loss.item():.4f}")


@torch.no_grad()
def generate(model, idx, max_new_tokens):
    model.eval()
    for _ in range(max_new_tokens):
        logits = model(idx[:, -block_size:])
        next_id = logits[:, -1, :].argmax(dim=-1, keepdim=True)
        idx = torch.cat([idx, next_id], dim=1)
    return idx


prompt = torch.tensor([encode("the quick")], dtype=torch.int64)
sample = decode(generate(model, prompt, 30)[0].tolist())
print(sample)
print(f"final loss (mean of last 10 steps): {sum(losses[-10:]) / 10:.4f}")
