"""An LSTM classifying variable-length sequences through pad_sequence /
pack_padded_sequence / pad_packed_sequence, written as a PyTorch user would.

The label is the sign of each sequence's LAST real element, so the model only learns
it if packing makes the final hidden state come from that element, not from padding."""
import autograd as torch
import nn
import nn.functional as F
from nn import optim
from nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)


def make_batch(n):
    lengths = torch.randint(2, 12, (n,))
    seqs = [torch.randn(int(L), 1) for L in lengths]
    labels = torch.tensor([int(s[-1, 0].item() > 0) for s in seqs])
    return pad_sequence(seqs, batch_first=True), lengths, labels


class LastSignClassifier(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        packed_out, (h_n, c_n) = self.lstm(packed)
        out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
        return self.fc(h_n[-1]), out, out_lengths


model = LastSignClassifier()
optimizer = optim.Adam(model.parameters(), lr=0.02)
for step in range(120):
    padded, lengths, labels = make_batch(32)
    logits, _, _ = model(padded, lengths)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 40 == 0:
        print(f"step {step}: loss {loss.item():.4f}")

padded, lengths, labels = make_batch(256)
with torch.no_grad():
    logits, out, out_lengths = model(padded, lengths)
accuracy = (logits.argmax(1) == labels).float().mean().item()
print(f"accuracy on new sequences: {accuracy:.3f}")
