"""pytorch/examples' word_language_model in its shape: RNNModel choosing LSTM/GRU/RNN_TANH by
name, tied weights, init_hidden with weight.new_zeros, batchify with narrow/view/t().contiguous(),
repackage_hidden, clip_grad_norm_ and the manual p.data.add_(p.grad, alpha=-lr) update."""
import io
import math
import autograd as torch
import nn
import nn.functional as F


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("bad") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


def batchify(data, bsz, device):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


bptt = 20


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


results, eval_loss, n_params = {}, {}, {}


def run(rnn_type):
    torch.manual_seed(1111)
    device = torch.device("cpu")
    # synthetic corpus: a repeated pattern with noise
    words = "the cat sat on the mat and the dog ate the cat food".split()
    vocab = {w: i for i, w in enumerate(sorted(set(words)))}
    ids = torch.tensor([vocab[w] for w in words] * 60, dtype=torch.int64)
    train_data = batchify(ids, 10, device)
    ntokens = len(vocab)
    model = RNNModel(rnn_type, ntokens, 32, 32, 2, 0.2, tie_weights=(rnn_type == 'LSTM')).to(device)
    criterion = nn.NLLLoss()
    lr = 2.0
    for epoch in range(1, 4):
        model.train()
        total_loss = 0.
        hidden = model.init_hidden(10)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            total_loss += loss.item()
        cur_loss = total_loss / (batch + 1)
        results.setdefault(rnn_type, []).append(cur_loss)
        print('| epoch {:3d} | lr {:02.2f} | loss {:5.2f} | ppl {:8.2f}'.format(
            epoch, lr, cur_loss, math.exp(cur_loss)))
    model.eval()
    with torch.no_grad():
        hidden = model.init_hidden(10)
        output, hidden = model(train_data[:bptt], hidden)
        eval_loss[rnn_type] = F.nll_loss(output, train_data[1:bptt + 1].view(-1)).item()
        print(rnn_type, "eval loss", F.nll_loss(output, train_data[1:bptt + 1].view(-1)).item())
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    model.load_state_dict(torch.load(buf, weights_only=True))
    num = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_params[rnn_type] = num
    print("params", num)


for t in ['LSTM', 'GRU', 'RNN_TANH']:
    run(t)
