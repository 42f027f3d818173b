#!/usr/bin/python3
"""Builds the PyTorch fixtures of gdisent/pytorch's tests and notebook.

Run from this directory with Debian's PyTorch (apt-get install -y python3-torch libopenblas0-pthread):

    /usr/bin/python3 make_fixtures.py

It builds three small generators with fixed seeds, puts their batch norms in eval mode with non-trivial running
statistics, and writes for each NAME:

    NAME.safetensors      the state_dict (float32; num_batches_tracked as int64), as torch.save would hold it
    NAME_io.safetensors   z [4, nz], the eval-mode output x = G(z) [4, C, H, W] (NCHW, as PyTorch returns it),
                          a direction v [4, nz] and the Jacobian-vector product Jv [4, C, H, W] at z

and dtypes.safetensors with the same values stored as F16, BF16, F64 and I64, together with float32 references
converted by torch. Safetensors is written here directly (8-byte little-endian header length, JSON header,
raw little-endian data) since the `safetensors` package may not be installed; the format is the one documented
at https://github.com/huggingface/safetensors.

The models:
  dcgan_fc  Linear(8, 64*4*4) -> BatchNorm1d -> ReLU -> Unflatten -> 3 x [ConvTranspose2d k4 s2 p1 -> BatchNorm2d
            -> ReLU] (last: no norm, Tanh): 8 -> 3x32x32. Trained (3,000 Adam steps, about a minute on a CPU) to
            draw the synthetic "blobs" below, so that the notebook's directions have something to find.
  dcgan     the pytorch/examples DCGAN generator (ConvTranspose2d from a 1x1 map, k4 s1 p0, then k4 s2 p1) with
            nz=8, ngf=4, nc=1: 8 -> 1x64x64; untrained (DCGAN init, random batch-norm parameters and statistics).
  upconv    Linear -> Unflatten -> BatchNorm2d -> LeakyReLU(0.2) -> Upsample(2) -> Conv2d k3 p1 -> BatchNorm2d ->
            LeakyReLU(0.2) -> ConvTranspose2d k3 s2 p1 output_padding 1 (with bias) -> Sigmoid: 6 -> 2x16x16;
            untrained (PyTorch's default init).
"""
import json
import struct

import numpy as np
import torch
from torch import nn

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64"}


def write_safetensors(path, tensors, metadata=None):
    """Writes a dict of tensors in the safetensors format."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the upper halves of the float32 bits
            raw = (t.float().numpy().view(np.uint32) >> 16).astype("<u2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def dcgan_fc():
    return nn.Sequential(
        nn.Linear(8, 64 * 4 * 4), nn.BatchNorm1d(64 * 4 * 4), nn.ReLU(True), nn.Unflatten(1, (64, 4, 4)),
        nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
        nn.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),
        nn.ConvTranspose2d(16, 3, 4, 2, 1, bias=False), nn.Tanh())


class DCGAN(nn.Module):
    """The generator of pytorch/examples dcgan/main.py, for 64x64 images."""

    def __init__(self, nz, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
        self.nz = nz

    def forward(self, z):
        return self.main(z.view(-1, self.nz, 1, 1))


def upconv():
    return nn.Sequential(
        nn.Linear(6, 16 * 4 * 4), nn.Unflatten(1, (16, 4, 4)), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(16, 8, 3, 1, 1), nn.BatchNorm2d(8), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(8, 2, 3, 2, 1, output_padding=1), nn.Sigmoid())


def dcgan_init(m):
    """The DCGAN weight init (Radford et al. 2016): N(0, 0.02) weights."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)


def randomize(model, nz, seed):
    """Untrained fixtures: random batch-norm affine parameters, running statistics from a few train-mode passes,
    and the last layer scaled so that the pre-activation output has standard deviation about 1."""
    gen = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0.0, 0.2, generator=gen)
    model.train()
    with torch.no_grad():
        for _ in range(8):
            model(1.3 * torch.randn(16, nz, generator=gen) + 0.2)
    model.eval()
    last = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))][-1]
    out = {}
    hook = last.register_forward_hook(lambda mod, inp, o: out.setdefault("pre", o))
    with torch.no_grad():
        model(torch.randn(64, nz, generator=gen))
    hook.remove()
    with torch.no_grad():
        scale = 1.0 / out["pre"].std()
        last.weight.mul_(scale)
        if last.bias is not None:
            last.bias.mul_(scale)


def blobs(z, q):
    """The synthetic task the notebook's generator learns: an RGB Gaussian blob on a grey background, 32x32, in
    [-1, 1], whose five factors (x, y, size, colour, background) are smooth functions of the rotated latent q z;
    latent directions orthogonal to the first five rows of q change nothing."""
    f = z @ q.T
    t = torch.tanh(0.6 * f)
    cx, cy = 16 + 9 * t[:, 0], 16 + 9 * t[:, 1]
    r = 3.5 + 1.5 * t[:, 2]
    grid = torch.arange(32, dtype=z.dtype) + 0.5
    yy, xx = grid.view(1, 32, 1), grid.view(1, 1, 32)
    blob = torch.exp(-((xx - cx.view(-1, 1, 1)) ** 2 + (yy - cy.view(-1, 1, 1)) ** 2) / (2 * r.view(-1, 1, 1) ** 2))
    hue = torch.sigmoid(2 * f[:, 3]).view(-1, 1)
    colour = torch.stack([hue, 0.3 + 0 * hue, 1 - hue], dim=1)  # [B, 3, 1]
    bg = (0.35 + 0.2 * t[:, 4]).view(-1, 1, 1, 1)
    img = bg * (1 - blob.unsqueeze(1)) + colour.unsqueeze(-1) * blob.unsqueeze(1)
    return 2 * img - 1


def train_blobs(model, nz, seed, steps):
    """Fits the generator to the blob renderer by regression (G(z) ~ blobs(z)), batch norm in train mode."""
    gen = torch.Generator().manual_seed(seed + 1)
    q, _ = torch.linalg.qr(torch.randn(nz, nz, generator=gen))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for step in range(steps):
        z = torch.randn(64, nz, generator=gen)
        loss = ((model(z) - blobs(z, q)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0 or step == steps - 1:
            print(f"  step {step}: mse {loss.item():.4f}")
    model.eval()


def finish(name, model, nz, seed):
    gen = torch.Generator().manual_seed(seed + 2)
    write_safetensors(f"{name}.safetensors", model.state_dict(), {"format": "pt", "model": name})
    z = torch.randn(4, nz, generator=gen)
    v = torch.randn(4, nz, generator=gen)
    x, jv = torch.autograd.functional.jvp(model, (z,), (v,))
    with torch.no_grad():
        assert torch.equal(model(z), x)
    write_safetensors(f"{name}_io.safetensors", {"z": z, "x": x, "v": v, "jv": jv}, {"format": "pt"})
    n = sum(p.numel() for p in model.state_dict().values())
    print(f"{name}: {n} state_dict values, output {tuple(x.shape)}, x range [{x.min():.3f}, {x.max():.3f}]")


def dtypes():
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(3, 5, generator=gen, dtype=torch.float64) * 3
    t = {"f64": x, "f64_as_f32": x.float(), "f16": x.half(), "f16_as_f32": x.half().float(),
         "bf16": x.bfloat16(), "bf16_as_f32": x.bfloat16().float(), "i64": torch.arange(-3, 3, dtype=torch.int64),
         "scalar": torch.tensor(2.5)}
    write_safetensors("dtypes.safetensors", t)


def main():
    torch.manual_seed(0)
    m = dcgan_fc()
    m.apply(dcgan_init)
    train_blobs(m, 8, 0, 3000)
    finish("dcgan_fc", m, 8, 0)
    torch.manual_seed(1)
    m = DCGAN(8, 4, 1)
    m.apply(dcgan_init)
    randomize(m, 8, 1)
    finish("dcgan", m, 8, 1)
    torch.manual_seed(2)
    m = upconv()  # PyTorch's default init
    randomize(m, 6, 2)
    finish("upconv", m, 6, 2)
    dtypes()


if __name__ == "__main__":
    main()
