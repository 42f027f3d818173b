#!/usr/bin/python3
"""Times one DCGAN-64 training step (forward + backward + Adam, batch 64) of the discriminator and the generator
in PyTorch on the CPU, with the same architectures as bench/dcgan.go, plus a 1024^3 float32 matmul.

Run with Debian's python3-torch (with libopenblas0-pthread installed): /usr/bin/python3 bench/torch_dcgan.py
Prints one line per benchmark: "<name> <median ms> <min ms> <max ms> <median CPU ms>" (see run.sh); --only NAME runs
one benchmark. With --device cuda the networks and data live on the GPU and each timed step ends with
torch.cuda.synchronize().
"""
import argparse
import os
import statistics
import time

import torch
from torch import nn


def discriminator():
    layers, c_in = [], 1
    for c in (32, 32, 64, 64):
        layers += [nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.2)]
        c_in = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(1024, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(100, 256), nn.ReLU(), nn.Linear(256, 1024), nn.ReLU())
        layers, c_in = [], 64
        for i, c in enumerate((64, 32, 32, 1)):
            layers.append(nn.ConvTranspose2d(c_in, c, 4, 2, 1))
            layers.append(nn.ReLU() if i < 3 else nn.Tanh())
            c_in = c
        self.up = nn.Sequential(*layers)

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 64, 4, 4))


def time_steps(step, warmup, steps, sync=lambda: None):
    for _ in range(warmup):
        step()
    sync()
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return times, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=15, help="timed steps (median reported), >= 10")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help='"cpu" or "cuda" (or "cuda:N")')
    ap.add_argument("--only", default="", help="run only this benchmark")
    args = ap.parse_args()
    dev = torch.device(args.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: this torch build sees no CUDA device")
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch = 64

    d = discriminator().to(dev)
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.randn(batch, 1, 64, 64, device=dev)
    y = torch.zeros(batch, 1, device=dev)
    y[: batch // 2] = 1
    bce = nn.BCEWithLogitsLoss()

    def d_step():
        d_opt.zero_grad(set_to_none=True)
        loss = bce(d(x), y)
        loss.backward()
        d_opt.step()

    g = Generator().to(dev)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    z = torch.randn(batch, 100, device=dev)
    target = torch.randn(batch, 1, 64, 64, device=dev)

    def g_step():
        g_opt.zero_grad(set_to_none=True)
        loss = ((g(z) - target) ** 2).mean()
        loss.backward()
        g_opt.step()

    a, b = torch.randn(1024, 1024, device=dev), torch.randn(1024, 1024, device=dev)

    def matmul():
        torch.mm(a, b)

    if dev.type == "cuda":
        print(f"# torch {torch.__version__}, device {torch.cuda.get_device_name(dev)}, "
              f"tf32 matmul {torch.backends.cuda.matmul.allow_tf32}, tf32 cudnn {torch.backends.cudnn.allow_tf32}")
    else:
        blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
        print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, libblas.so.3 -> {blas}")
    for name, fn in (("matmul1024", matmul), ("D_step", d_step), ("G_step", g_step)):
        if args.only and name != args.only:
            continue
        ts, cpu = time_steps(fn, args.warmup, args.steps, sync)
        print(f"{name} {statistics.median(ts):.2f} {min(ts):.2f} {max(ts):.2f} {statistics.median(cpu):.2f}", flush=True)


if __name__ == "__main__":
    main()
