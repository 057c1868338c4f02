#!/usr/bin/python3
"""PyTorch baseline for BENCHMARKS.md: seconds per MNIST training epoch.

Trains a small MLP (784-256-128-10) or CNN on MNIST read straight from the
gzipped IDX files in dataset/mnist/data/, so the Go learner can be compared
against PyTorch on the same data, model, optimiser and batch size: Adam
lr 1e-3, batch 128, cross-entropy, pixels scaled to [0,1] float32, default
PyTorch init, a seeded shuffle each epoch.

Needs Debian's python3-torch and an optimised BLAS: without libopenblas0
torch falls back to the reference libblas3 and the MLP is ~15x slower.

    apt-get install python3-torch libopenblas0-pthread
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2 \\
        /usr/bin/python3 bench/torch/mnist_epoch.py --model mlp --threads 2 --warmup

For steady CNN timings also set
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824
(otherwise glibc sometimes unmaps the activations each batch, and page faults
double the epoch time). --data /usr/share/datasets/fashion-mnist runs the
same on Fashion-MNIST (package dataset-fashion-mnist, same file names).

One JSON line is printed per epoch:
    {"model", "epoch", "train_seconds", "test_accuracy", "threads", "torch"}
train_seconds times only that epoch's training loop (data already in
tensors); evaluation and loading are not timed. --warmup runs a few
untimed batches first, on a throwaway copy of the model.
"""

import argparse
import copy
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "..", "dataset", "mnist", "data")


def read_idx(path):
    """Parse a gzipped IDX file (unsigned-byte data) into a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(data_dir, split):
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # N,1,28,28
    return x, torch.from_numpy(labels.astype(np.int64))


def make_model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(512, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def train_epoch(model, opt, x, y, batch, order):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    correct = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
                  for i in range(0, len(x), 1000))
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", action="store_true", help="run 20 untimed batches first")
    p.add_argument("--data", default=DATA, help="folder with the four MNIST .gz files")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "t10k")
    model = make_model(a.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    if a.warmup:  # untimed, on copies so the measured run starts from the same state
        m = copy.deepcopy(model)
        train_epoch(m, torch.optim.Adam(m.parameters(), lr=1e-3), xtr, ytr,
                    a.batch, torch.arange(20 * a.batch))

    gen = torch.Generator().manual_seed(a.seed)
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(len(xtr), generator=gen)
        t0 = time.perf_counter()
        train_epoch(model, opt, xtr, ytr, a.batch, order)
        secs = time.perf_counter() - t0
        print(json.dumps({"model": a.model, "epoch": epoch,
                          "train_seconds": round(secs, 3),
                          "test_accuracy": round(accuracy(model, xte, yte), 4),
                          "threads": torch.get_num_threads(),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
