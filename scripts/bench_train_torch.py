"""PyTorch CPU side of `npm run bench:train` (scripts/bench-train.ts drives it): training steps of a MiniLM-shaped
BertForSequenceClassification written in plain torch (Debian's python3-torch has no `transformers`), float32,
dropout 0, AdamW (HF Trainer's betas/eps, weight decay off biases and LayerNorm weights), clip_grad_norm_ 1.0.

Run with /usr/bin/python3. Protocol (so the driver can alternate rounds with its GPU steps in one run): prints one
JSON line {"ready": true, "threads": n, "params": n}; then for each stdin line "N" runs N steps and prints
{"ms": [per-step wall milliseconds]}; exits on EOF.
  /usr/bin/python3 scripts/bench_train_torch.py --threads 2 --batch 8 --seq 128 [--hidden 384 --layers 6 ...]
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    def __init__(self, c, heads, inter, eps):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.attn_out, self.attn_ln = nn.Linear(c, c), nn.LayerNorm(c, eps=eps)
        self.inter, self.out, self.out_ln = nn.Linear(c, inter), nn.Linear(inter, c), nn.LayerNorm(c, eps=eps)

    def forward(self, x, mask_bias):
        b, t, c = x.shape
        split = lambda y: y.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(c // self.heads) + mask_bias
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = self.attn_ln(self.attn_out(ctx) + x)
        return self.out_ln(self.out(F.gelu(self.inter(x))) + x)


class BertClassifier(nn.Module):
    def __init__(self, a):
        super().__init__()
        c = a.hidden
        self.word, self.pos, self.token_type = nn.Embedding(a.vocab, c), nn.Embedding(512, c), nn.Embedding(2, c)
        self.emb_ln = nn.LayerNorm(c, eps=1e-12)
        self.layers = nn.ModuleList(Layer(c, a.heads, a.intermediate, 1e-12) for _ in range(a.layers))
        self.pooler, self.classifier = nn.Linear(c, c), nn.Linear(c, a.labels)
        for m in self.modules():  # HF's init: normal(0, 0.02), zero bias
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids, types, mask):
        t = ids.shape[1]
        x = self.emb_ln(self.word(ids) + self.pos(torch.arange(t))[None] + self.token_type(types))
        mask_bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, mask_bias)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


def main():
    p = argparse.ArgumentParser()
    for name, default in [('threads', 1), ('batch', 8), ('seq', 128), ('hidden', 384), ('layers', 6), ('heads', 12),
                          ('intermediate', 1536), ('vocab', 30522), ('labels', 2)]:
        p.add_argument('--' + name, type=int, default=default)
    p.add_argument('--lr', type=float, default=5e-5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = BertClassifier(a).train()
    decay = [p for n, p in model.named_parameters() if 'bias' not in n and 'ln' not in n]
    no_decay = [p for n, p in model.named_parameters() if 'bias' in n or 'ln' in n]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1000, 2000, (a.batch, a.seq), generator=g)
    ids[:, 0], ids[:, -1] = 101, 102
    types, mask = torch.zeros_like(ids), torch.ones_like(ids)
    labels = torch.randint(0, a.labels, (a.batch,), generator=g)

    def step():
        loss = F.cross_entropy(model(ids, types, mask), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    print(json.dumps({'ready': True, 'threads': torch.get_num_threads(), 'params': sum(p.numel() for p in model.parameters()),
                      'torch': torch.__version__}), flush=True)
    for line in sys.stdin:
        ms = []
        for _ in range(int(line)):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({'ms': ms}), flush=True)


if __name__ == '__main__':
    main()
