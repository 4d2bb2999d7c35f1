"""word2vec: skip-gram with negative sampling on a corpus that ships with Python.

The lesson (Mikolov et al. 2013, "Distributed Representations of Words and
Phrases and their Compositionality"; D2L chapters 15.1-15.4): train each
word's vector to predict the words around it. Instead of a softmax over the
whole vocabulary, each (center, context) pair is scored against K "negative"
words drawn from the unigram distribution raised to the 3/4 power:

    loss = -log sigmoid(u_c . v_o) - sum_k log sigmoid(-u_c . v_k)

(``nn.NegativeSamplingLoss``). Frequent words are subsampled (a word of
frequency f is kept with probability sqrt(t / f) + t / f) and the window size
is drawn at random per center word, as in the original code. Words used in
the same contexts end up with similar vectors, so a word's nearest neighbours
by cosine similarity are its kin.

The corpus is Python's own documentation topics (``pydoc_data.topics``,
``nn.data.datasets.text_corpus()``), about 120,000 tokens, so the neighbours
are Python words: "list" near "tuple" and "dict", "true" near "false".
The example prints the nearest neighbours of chosen words, the loss falling,
a sanity figure (the mean cosine between words sharing contexts against
random pairs), and saves a 2-D PCA projection of the most frequent words
(a plot with matplotlib, and always a TSV of the coordinates).

    python examples/word2vec.py
    python examples/word2vec.py --full
    python examples/word2vec.py --words list,class,exception,true
"""
import os

import numpy as np

import _common as C
from _common import ag, nn
from nn.data import datasets

DEFAULT_WORDS = "list,dict,int,class,exception,true,file,string,loop,import"


def build_corpus(min_freq, max_tokens=None):
    """Lower-case word tokens (punctuation and numbers dropped), the vocabulary and the token ids."""
    tokens = [t for t in datasets.tokenize(datasets.text_corpus()) if t[0].isalpha()]
    if max_tokens:
        tokens = tokens[:max_tokens]
    stoi, itos = datasets.build_vocab(tokens, min_freq=min_freq, specials=())
    ids = np.array([stoi[t] for t in tokens if t in stoi], dtype=np.int64)
    counts = np.bincount(ids, minlength=len(itos)).astype(np.float64)
    return ids, stoi, itos, counts


def subsample(ids, counts, t, rng):
    """Mikolov's subsampling: keep a word of frequency f with probability min(1, sqrt(t/f) + t/f)."""
    f = counts[ids] / counts.sum()
    keep = np.minimum(1.0, np.sqrt(t / f) + t / f)
    return ids[rng.random(len(ids)) < keep]


def skipgram_pairs(ids, window, rng):
    """(center, context) pairs; each center uses a window size drawn from 1..window."""
    centers, contexts = [], []
    spans = rng.integers(1, window + 1, len(ids))
    for off in range(1, window + 1):
        use = spans >= off
        for sign in (-1, 1):
            idx = np.nonzero(use)[0]
            j = idx + sign * off
            ok = (j >= 0) & (j < len(ids))
            centers.append(ids[idx[ok]])
            contexts.append(ids[j[ok]])
    return np.concatenate(centers), np.concatenate(contexts)


class SkipGram(nn.Module):
    """Two tables: the center ("input") vectors u and the context ("output") vectors v."""

    def __init__(self, vocab, dim):
        super().__init__()
        self.center = nn.Embedding(vocab, dim)
        self.context = nn.Embedding(vocab, dim)
        bound = 0.5 / dim                        # word2vec.c: u ~ U(-0.5/d, 0.5/d), v = 0
        nn.init.uniform_(self.center.weight, -bound, bound)
        nn.init.zeros_(self.context.weight)
        self.loss = nn.NegativeSamplingLoss()

    def forward(self, center, context, negatives):
        return self.loss(self.center(center), self.context(context), self.context(negatives))


def normalised(W):
    return W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-8)


def neighbours(E, stoi, itos, word, k):
    if word not in stoi:
        return None
    sims = E @ E[stoi[word]]
    order = [i for i in np.argsort(-sims) if i != stoi[word]][:k]
    return [(itos[i], float(sims[i])) for i in order]


def main(argv=None):
    p = C.make_parser(__doc__)
    p.add_argument("--dim", type=int, default=None, help="embedding size (default: 50, --full 100)")
    p.add_argument("--window", type=int, default=5, help="largest context window (default: %(default)s)")
    p.add_argument("--negatives", type=int, default=5, help="negative samples per pair (default: %(default)s)")
    p.add_argument("--min-freq", type=int, default=5, help="drop rarer words (default: %(default)s)")
    p.add_argument("--subsample", type=float, default=1e-3, help="subsampling threshold t (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=512, help="pairs per step (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.005, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--words", default=DEFAULT_WORDS, help="comma-separated words to show neighbours of")
    p.add_argument("--plot-words", type=int, default=120, help="most frequent words in the projection")
    args = p.parse_args(argv)
    device = C.setup(args, "word2vec: skip-gram with negative sampling")
    rng = np.random.default_rng(args.seed)
    epochs = C.n_epochs(args, default=10, full=30, smoke=2)
    dim = args.dim or C.pick(args, 50, full=100, smoke=16)

    ids, stoi, itos, counts = build_corpus(args.min_freq, max_tokens=C.pick(args, None, smoke=12000))
    V = len(itos)
    noise = counts ** 0.75
    noise /= noise.sum()
    print(f"[data] Python's documentation topics (pydoc_data, ships with Python): {len(ids):,} word tokens, "
          f"vocabulary {V:,} words (min frequency {args.min_freq})")

    model = SkipGram(V, dim).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=args.lr)
    print(f"[model] {V:,} x {dim} center and context tables ({2 * V * dim:,} parameters); window <= {args.window}, "
          f"{args.negatives} negatives from unigram^0.75, subsampling t={args.subsample}, Adam lr {args.lr}, "
          f"batch {args.batch_size}, {epochs} epoch(s)")

    history, times = [], []
    probe_c, probe_o = skipgram_pairs(ids, args.window, np.random.default_rng(12345))
    probe = np.random.default_rng(1).choice(len(probe_c), min(4000, len(probe_c)), replace=False)
    probe_neg = np.random.default_rng(2).choice(V, (len(probe), args.negatives), p=noise)
    pc, po, pn = C.to_tensors(device, probe_c[probe], probe_o[probe], probe_neg)

    def probe_loss():
        with ag.no_grad():
            return float(model(pc, po, pn).item())

    initial = probe_loss()
    print(f"loss on a fixed probe of {len(probe)} pairs before training: {initial:.4f} "
          f"(= (1 + K) log 2 = {(1 + args.negatives) * np.log(2):.4f} with all scores 0)")
    for epoch in range(1, epochs + 1):
        c, o = skipgram_pairs(subsample(ids, counts, args.subsample, rng), args.window, rng)
        perm = rng.permutation(len(c))
        c, o = c[perm], o[perm]
        negs = rng.choice(V, (len(c), args.negatives), p=noise)
        total, n = 0.0, 0
        with C.Timer() as t:
            for s in C.progress(range(0, len(c), args.batch_size), desc=f"epoch {epoch}", disable=args.smoke,
                                leave=False):
                e = s + args.batch_size
                cb, ob, nb = C.to_tensors(device, c[s:e], o[s:e], negs[s:e])
                loss = model(cb, ob, nb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.item()) * len(c[s:e])
                n += len(c[s:e])
        times.append(t.seconds)
        history.append(dict(epoch=epoch, train_loss=total / n, probe_loss=probe_loss(), pairs=n, seconds=t.seconds))
        print(f"epoch {epoch:2d}/{epochs}: {n:,} pairs, train loss {total / n:.4f}, probe loss "
              f"{history[-1]['probe_loss']:.4f} ({t.seconds:.1f} s)")

    E = normalised(model.center.weight.detach().cpu().numpy().astype(np.float64))
    print("\nnearest neighbours by cosine similarity:")
    shown = {}
    for w in [w.strip() for w in args.words.split(",") if w.strip()]:
        nb = neighbours(E, stoi, itos, w, 6)
        if nb is None:
            print(f"  {w:10s} (not in the vocabulary)")
            continue
        shown[w] = nb
        print(f"  {w:10s} " + ", ".join(f"{x} {s:.2f}" for x, s in nb))

    # do words that share contexts have closer vectors than random words?
    ctx_pairs = probe_c[probe], probe_o[probe]
    keep = ctx_pairs[0] != ctx_pairs[1]
    cos_ctx = float(np.mean(np.sum(E[ctx_pairs[0][keep]] * E[ctx_pairs[1][keep]], axis=1)))
    r = np.random.default_rng(3).integers(0, V, (2, 4000))
    cos_rand = float(np.mean(np.sum(E[r[0]] * E[r[1]], axis=1)))
    print(f"\nmean cosine of words seen together in a window: {cos_ctx:.3f}; of random word pairs: {cos_rand:.3f}")

    # 2-D projection of the most frequent words (PCA)
    top = np.argsort(-counts)[:min(args.plot_words, V)]
    Z = E[top] - E[top].mean(axis=0)
    _, _, Vt = np.linalg.svd(Z, full_matrices=False)
    xy = Z @ Vt[:2].T
    proj_path = None
    if not args.smoke:
        proj_path = C.out_path(args, "word2vec_projection.tsv")
        with open(proj_path, "w") as f:
            f.write("word\tcount\tpc1\tpc2\n")
            for i, (a, b) in zip(top, xy):
                f.write(f"{itos[i]}\t{int(counts[i])}\t{a:.5f}\t{b:.5f}\n")
        print(f"[out] 2-D PCA coordinates of the {len(top)} most frequent words: {os.path.relpath(proj_path)}")

    def draw(plt):
        fig, ax = plt.subplots(figsize=(11, 9))
        ax.scatter(xy[:, 0], xy[:, 1], s=6, c="tab:blue")
        for i, (a, b) in zip(top, xy):
            ax.annotate(itos[i], (a, b), fontsize=7)
        ax.set(title=f"word2vec ({dim}-d) of the {len(top)} most frequent words, PCA to 2-D",
               xlabel="PC 1", ylabel="PC 2")
        return fig
    C.maybe_plot(args, "word2vec_projection.png", draw)

    C.report("word2vec", [
        ("corpus", f"pydoc topics, {len(ids):,} tokens, vocabulary {V:,}"),
        ("probe loss", f"{initial:.4f} -> {history[-1]['probe_loss']:.4f}"),
        ("cosine: context vs random", f"{cos_ctx:.3f} vs {cos_rand:.3f}"),
        ("time per epoch", f"{np.mean(times):.1f} s"),
    ])
    print("lesson: predicting a word's neighbours, with a few sampled negatives instead of a full softmax, gives "
          "vectors in which words used alike sit together.")
    return dict(initial_loss=initial, history=history, neighbours=shown, cos_context=cos_ctx, cos_random=cos_rand,
                vocab=V, tokens=int(len(ids)), time_per_epoch=float(np.mean(times)), projection=proj_path)


if __name__ == "__main__":
    main()
