#!/usr/bin/env python3
"""PyTorch yardstick for `npm run bench:training`: the same DAE and VAE architectures as training/models.ts, trained with
the same step (Adam, MSE for the DAE; Bernoulli reconstruction + KL for the VAE) on random data, timed on the CPU
with one thread and with every core, and on CUDA when there is a GPU. Prints one JSON object:
{"torch": version, "results": [{"model", "device", "threads", "batch", "images_per_second"}]}.

Runs where PyTorch is installed (Debian: apt-get install python3-torch; the GPU machine has it).
"""
import json
import os
import time

import torch
from torch import nn


def dae(filters=64, depth=6):
    # TF "same" padding for a 4x4 stride-2 convolution is one pixel on each side: 64 -> 32 -> 64.
    body = [nn.Conv2d(3, filters, 4, stride=2, padding=1), nn.ReLU()]
    for _ in range(depth):
        body += [nn.Conv2d(filters, filters, 3, padding=1), nn.ReLU()]
    body.append(nn.ConvTranspose2d(filters, 3, 4, stride=2, padding=1))
    correction = nn.Sequential(*body)

    class Dae(nn.Module):
        def __init__(self):
            super().__init__()
            self.correction = correction

        def forward(self, x):
            return torch.clamp(x + self.correction(x), 0, 1)

    return Dae()


def vae():
    encoder = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 4))
    decoder = nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784))
    return nn.ModuleDict({"encoder": encoder, "decoder": decoder})


def dae_step(model, optimizer, x, target):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), target)
    loss.backward()
    optimizer.step()
    return loss


def vae_step(model, optimizer, x, _target):
    optimizer.zero_grad()
    mean, log_var = model["encoder"](x).chunk(2, dim=1)
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    logits = model["decoder"](z)
    reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + log_var - mean**2 - torch.exp(log_var)) / x.shape[0]
    loss = reconstruction + kl
    loss.backward()
    optimizer.step()
    return loss


def images_per_second(name, device, batch, min_seconds=3.0):
    model = (dae() if name == "dae" else vae()).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    shape = (batch, 3, 64, 64) if name == "dae" else (batch, 784)
    x = torch.rand(shape, device=device)
    target = torch.rand(shape, device=device)
    step = dae_step if name == "dae" else vae_step
    for _ in range(3):
        step(model, optimizer, x, target)
    if device == "cuda":
        torch.cuda.synchronize()
    runs, start = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - start < min_seconds:
        step(model, optimizer, x, target).item()
        runs += 1
    if device == "cuda":
        torch.cuda.synchronize()
    return batch * runs / (time.perf_counter() - start)


def main():
    results = []
    cores = len(os.sched_getaffinity(0))
    for threads in sorted({1, cores}):
        torch.set_num_threads(threads)
        for name, batch in (("dae", 32), ("vae", 128)):
            results.append({"model": name, "device": "cpu", "threads": threads, "batch": batch, "images_per_second": images_per_second(name, "cpu", batch)})
    if torch.cuda.is_available():
        for name, batch in (("dae", 128), ("vae", 128)):
            results.append({"model": name, "device": "cuda", "threads": None, "batch": batch, "images_per_second": images_per_second(name, "cuda", batch)})
    print(json.dumps({"torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
