"""char-rnn: a character-level language model with an RNN, LSTM or GRU.

The lesson (Karpathy's char-rnn and "The Unreasonable Effectiveness of
Recurrent Neural Networks", 2015; D2L chapters 9.5-9.7 and 10.1-10.3): read
text one character at a time and predict the next. The model is an embedding,
a recurrent layer (``--cell rnn|lstm|gru``) and a linear read-out; it is
trained by truncated backpropagation through time -- the text is cut into
``--bptt``-character pieces, the hidden state is carried from one piece to the
next but the gradient is not (``h.detach()``) -- with the gradient norm
clipped (``nn.utils.clip_grad_norm_``), because the same weights multiply the
gradient at every step and one long product can explode.

The figure of merit is validation bits per character, the cross-entropy in
base 2 on text the model has not seen (a uniform guess over the ~100
characters costs log2(100) = 6.6 bits; a unigram model about 4.5 bits). The
example prints it as training goes, and then text sampled from the model
(``--temperature``) one character at a time.

The text is Python's own documentation topics (``pydoc_data.topics``, about
465,000 characters), which ships with Python; the last 10% is held out.

    python examples/char_rnn.py                  # LSTM, about two minutes
    python examples/char_rnn.py --cell gru --full
"""
import math

import numpy as np

import _common as C
from _common import F, ag, nn
from nn.data import datasets


class CharRNN(nn.Module):
    def __init__(self, vocab, cell, embed, hidden, layers, dropout=0.0):
        super().__init__()
        self.cell = cell
        self.embed = nn.Embedding(vocab, embed)
        rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(embed, hidden, num_layers=layers, batch_first=True,
                       dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


def detach(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def batchify(ids, batch):
    """Cut the text into ``batch`` parallel streams: (batch, len // batch)."""
    n = len(ids) // batch
    return ids[:n * batch].reshape(batch, n)


def bits_per_char(model, streams, bptt, device):
    """Validation cross-entropy in bits per character, carrying the state through each stream."""
    model.eval()
    total, count, state = 0.0, 0, None
    with ag.no_grad():
        for s in range(0, streams.shape[1] - 1, bptt):
            e = min(s + bptt, streams.shape[1] - 1)
            x, y = C.to_tensors(device, streams[:, s:e], streams[:, s + 1:e + 1])
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
            total += float(loss.item())
            count += y.numel()
    model.train()
    return total / count / math.log(2)


def sample(model, stoi, itos, prime, length, temperature, rng, device):
    """Feed ``prime``, then draw ``length`` characters from softmax(logits / temperature)."""
    model.eval()
    out = list(prime)
    with ag.no_grad():
        x = C.to_tensors(device, np.array([[stoi.get(c, 0) for c in prime]]))[0]
        logits, state = model(x)
        for _ in range(length):
            z = logits[0, -1].cpu().numpy().astype(np.float64) / temperature
            prob = np.exp(z - z.max())
            prob /= prob.sum()
            i = int(rng.choice(len(prob), p=prob))
            out.append(itos[i])
            logits, state = model(C.to_tensors(device, np.array([[i]]))[0], state)
    model.train()
    return "".join(out)


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm", help="recurrent cell (default: lstm)")
    p.add_argument("--hidden", type=int, default=None, help="hidden units (default: 128, --full 256)")
    p.add_argument("--layers", type=int, default=None, help="recurrent layers (default: 1)")
    p.add_argument("--embed", type=int, default=32, help="character embedding size (default: %(default)s)")
    p.add_argument("--bptt", type=int, default=64, help="truncated-BPTT length (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="parallel streams (default: %(default)s)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: 1200, --full 4000)")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm (default: %(default)s)")
    p.add_argument("--eval-every", type=int, default=None, help="validate every N steps")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default: %(default)s)")
    p.add_argument("--prime", default="The ", help="text to start sampling from")
    args = p.parse_args(argv)
    device = C.setup(args, f"char-rnn: a character-level {args.cell.upper()} language model")
    hidden = args.hidden or C.pick(args, 128, full=256, smoke=32)
    layers = args.layers or 1
    steps = args.steps or C.pick(args, 1200, full=4000, smoke=40)
    eval_every = args.eval_every or max(1, steps // C.pick(args, 6, full=20, smoke=2))

    text = datasets.text_corpus()
    if args.smoke:
        text = text[:60000]
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    itos = chars
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    cut = int(0.9 * len(ids))
    train = batchify(ids[:cut], args.batch_size)
    val = batchify(ids[cut:], C.pick(args, 16, smoke=4))
    if args.smoke:
        val = val[:, :1000]
    counts = np.bincount(ids[:cut], minlength=len(chars)) + 1
    unigram_bits = float(-(np.bincount(ids[cut:], minlength=len(chars)) / (len(ids) - cut)
                           * np.log2(counts / counts.sum())).sum())
    print(f"[data] pydoc topics: {len(ids):,} characters, {len(chars)} distinct; {cut:,} train / "
          f"{len(ids) - cut:,} validation; uniform guess {math.log2(len(chars)):.2f} bits/char, "
          f"unigram {unigram_bits:.2f} bits/char")

    model = CharRNN(len(chars), args.cell, args.embed, hidden, layers, dropout=0.0).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = nn.optim.Adam(model.parameters(), lr=args.lr)
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=args.lr / 10)
    print(f"[model] {args.cell.upper()} {layers} x {hidden}, embedding {args.embed}, {n_params:,} parameters; "
          f"BPTT {args.bptt} x batch {args.batch_size}; clip {args.clip}; Adam {args.lr} with cosine decay; "
          f"{steps} steps")

    rng = np.random.default_rng(args.seed)
    history = [dict(step=0, val_bpc=bits_per_char(model, val, args.bptt * 2, device), train_bpc=None)]
    print(f"step {0:5d}: validation {history[0]['val_bpc']:.3f} bits/char (untrained)")
    state, pos, run_loss, run_n, clipped = None, 0, 0.0, 0, 0
    with C.Timer() as t_all:
        for step in C.progress(range(1, steps + 1), desc="training", disable=args.smoke, leave=False):
            if pos + args.bptt + 1 > train.shape[1]:
                pos, state = 0, None                      # start the streams again from the beginning
            x, y = C.to_tensors(device, train[:, pos:pos + args.bptt], train[:, pos + 1:pos + args.bptt + 1])
            pos += args.bptt
            logits, state = model(x, detach(state))     # carry the state, cut the gradient (truncated BPTT)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            norm = float(nn.utils.clip_grad_norm_(model.parameters(), args.clip).item())
            clipped += norm > args.clip
            opt.step()
            sched.step()
            run_loss += float(loss.item())
            run_n += 1
            if step % eval_every == 0 or step == steps:
                vb = bits_per_char(model, val, args.bptt * 2, device)
                tb = run_loss / run_n / math.log(2)
                history.append(dict(step=step, val_bpc=vb, train_bpc=tb))
                print(f"step {step:5d}: train {tb:.3f} bits/char, validation {vb:.3f} bits/char", flush=True)
                run_loss, run_n = 0.0, 0
    ms_step = 1e3 * t_all.seconds / steps
    text_out = sample(model, stoi, itos, args.prime, C.pick(args, 400, full=800, smoke=40), args.temperature,
                      rng, device)
    print(f"\nsampled at temperature {args.temperature}:\n{'-' * 60}\n{text_out}\n{'-' * 60}")
    best = min(history, key=lambda h: h["val_bpc"])
    C.report(f"char-rnn ({args.cell})", [
        ("validation bits/char", f"{history[0]['val_bpc']:.3f} untrained -> {history[-1]['val_bpc']:.3f} "
                                 f"after {steps} steps (unigram {unigram_bits:.2f}); best {best['val_bpc']:.3f} "
                                 f"at step {best['step']}"),
        ("training bits/char", f"{history[-1]['train_bpc']:.3f} over the last {eval_every} steps"
                               + (" (well below validation: overfitting)"
                                  if history[-1]["train_bpc"] < history[-1]["val_bpc"] - 0.3 else "")),
        ("gradient clipped", f"{clipped} of {steps} steps (norm > {args.clip})"),
        ("time", f"{t_all.seconds:.1f} s ({ms_step:.0f} ms/step, {args.bptt * args.batch_size} characters/step)"),
    ])
    print("lesson: a recurrent net trained by truncated BPTT, with its gradient norm clipped, learns spelling, "
          "words and layout from raw characters; run it with --cell rnn, lstm and gru to compare the cells.")

    def draw(plt):
        fig, ax = plt.subplots(figsize=(7, 4))
        h = history[1:]
        ax.plot([r["step"] for r in h], [r["train_bpc"] for r in h], marker="o", label="train")
        ax.plot([r["step"] for r in history], [r["val_bpc"] for r in history], marker="o", label="validation")
        ax.axhline(unigram_bits, ls="--", c="gray", label="unigram")
        ax.set(xlabel="step", ylabel="bits per character", title=f"char-rnn, {args.cell.upper()} {layers}x{hidden}")
        ax.legend()
        return fig
    C.maybe_plot(args, f"char_rnn_{args.cell}.png", draw)
    return dict(cell=args.cell, history=history, initial_bpc=history[0]["val_bpc"], final_bpc=history[-1]["val_bpc"],
                best_bpc=best["val_bpc"], best_step=best["step"],
                unigram_bpc=unigram_bits, sample=text_out, clipped=int(clipped), steps=steps, ms_per_step=ms_step,
                seconds=t_all.seconds, n_params=int(n_params))


if __name__ == "__main__":
    main()
