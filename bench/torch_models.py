#!/usr/bin/python3
"""Times one training step (VAEs) or iteration (GANs) of the models in bench/models.go in PyTorch on the CPU, with
the same architectures, batch sizes and optimisers as gdisent's vae and infogan packages build them:

  BetaVAE         vae.DefaultConfig: 64x64x1, convs 32,32,64,64 4x4/s2/p1 + ReLU, FC 256, 10 latents, decoder the
                  mirror image with transposed convs, Bernoulli likelihood, beta 4, Adam lr 1e-4, batch 64
  FactorVAE       the same VAE (beta 1) + gamma 40 x TC, a 4x256 LeakyReLU TC discriminator on z and on dimension-wise
                  permuted z of a second batch (its own Adam, lr 1e-4, betas 0.5/0.9) -- Kim & Mnih 2018
  InfoGANMNISTK0  infogan.MNISTConfig: z = 10-way cat + 2 cont + 62 noise, G: FC 128, FC 7*7*64 (ReLU+BN),
                  convT 64 (LeakyReLU+BN), convT 1, sigmoid; D: spectrally normalised convs 32, 64 4x4/s2, FC 128,
                  D head and Q head (FC 128, 12); one D step + one G step, Adam beta1 0.5, batch 64
  InfoGANMNISTK5  the same with the generator's loss seen through the discriminator unrolled 5 SGD steps (Metz et
                  al. 2017), differentiated through the unrolling
  InfoGANCR       infogan.InfoGANCRConfig on 64x64 dSprites with lambda_CR on from step 0: CR discriminator step,
                  D step, 2 G steps each with the contrastive loss (Lin et al. 2020)

Run with Debian's python3-torch (with libopenblas0-pthread installed): /usr/bin/python3 bench/torch_models.py
Prints one line per model: "<name> <median ms> <min ms> <max ms> <median CPU ms>" (see run.sh); --only NAME runs one
model. CPU ms is the process's CPU time per step (all threads).
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

B = 64


def time_steps(step, warmup, steps):
    for _ in range(warmup):
        step()
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return times, cpu


def random_images(size, n=256):
    return (torch.rand(n, 1, size, size) < 0.25).float()


def batch_of(images):
    return images[torch.randint(0, images.shape[0], (B,))]


# ---------------------------------------------------------------------------------------------------------- VAEs


class VAE(nn.Module):
    def __init__(self, latent=10, chans=(32, 32, 64, 64), hidden=256):
        super().__init__()
        enc, c = [], 1
        for ch in chans:
            enc += [nn.Conv2d(c, ch, 4, 2, 1), nn.ReLU()]
            c = ch
        self.enc = nn.Sequential(*enc, nn.Flatten(), nn.Linear(c * 16, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec_fc = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, c * 16), nn.ReLU())
        dec, outs = [], list(reversed(chans[:-1])) + [1]
        for i, o in enumerate(outs):
            dec.append(nn.ConvTranspose2d(c, o, 4, 2, 1))
            if i < len(outs) - 1:
                dec.append(nn.ReLU())
            c = o
        self.dec = nn.Sequential(*dec)
        self.latent, self.top = latent, chans[-1]

    def encode(self, x):
        h = self.enc(x)
        return h[:, : self.latent], h[:, self.latent:]

    def decode(self, z):
        return self.dec(self.dec_fc(z).view(-1, self.top, 4, 4))


def vae_terms(vae, x):
    mean, logvar = vae.encode(x)
    z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
    logits = vae.decode(z)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = (0.5 * (mean ** 2 + logvar.exp() - logvar - 1)).sum(1).mean()
    return rec, kl, z


def beta_vae():
    vae = VAE()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    data = random_images(64)

    def step():
        x = batch_of(data)
        opt.zero_grad(set_to_none=True)
        rec, kl, _ = vae_terms(vae, x)
        (rec + 4 * kl).backward()
        opt.step()

    return step


def factor_vae():
    vae = VAE()
    layers, c = [], 10
    for _ in range(4):
        layers += [nn.Linear(c, 256), nn.LeakyReLU(0.2)]
        c = 256
    disc = nn.Sequential(*layers, nn.Linear(256, 2))
    vae_params, disc_params = list(vae.parameters()), list(disc.parameters())
    opt = torch.optim.Adam(vae_params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    dopt = torch.optim.Adam(disc_params, lr=1e-4, betas=(0.5, 0.9))
    data = random_images(64)

    def step():
        x, x2 = batch_of(data), batch_of(data)
        rec, kl, z = vae_terms(vae, x)
        logits = disc(z)
        tc = (logits[:, 0] - logits[:, 1]).mean()
        vae_loss = rec + kl + 40 * tc
        with torch.no_grad():
            m2, lv2 = vae.encode(x2)
            z2 = m2 + torch.exp(0.5 * lv2) * torch.randn_like(m2)
            perm = torch.stack([torch.randperm(B) for _ in range(z2.shape[1])], 1)
            z2p = torch.gather(z2, 0, perm)
        real, permuted = disc(z.detach()), disc(z2p)
        zeros, ones = torch.zeros(B, dtype=torch.long), torch.ones(B, dtype=torch.long)
        d_loss = 0.5 * (F.cross_entropy(real, zeros) + F.cross_entropy(permuted, ones))
        grads = torch.autograd.grad(vae_loss, vae_params)
        dgrads = torch.autograd.grad(d_loss, disc_params)
        for p, g in zip(vae_params, grads):
            p.grad = g
        for p, g in zip(disc_params, dgrads):
            p.grad = g
        opt.step()
        dopt.step()

    return step


# ------------------------------------------------------------------------------------------------------ InfoGANs
# Functional networks (parameters in dicts) so that the discriminator can be unrolled; spectral normalisation is one
# power iteration per use with the vector u carried between uses (Miyato et al. 2018), as gdisent's nn does.


def normal(*shape, std=0.02):
    return (torch.randn(*shape) * std).requires_grad_()


def zeros(*shape):
    return torch.zeros(*shape).requires_grad_()


def sn_weight(w, state, key):
    mat = w.reshape(w.shape[0], -1)  # [out, rows]
    with torch.no_grad():
        u = state[key]
        u = u / (u.norm() + 1e-12)
        v = mat.t() @ u
        v = v / (v.norm() + 1e-12)
        u = mat @ v
        u = u / (u.norm() + 1e-12)
        state[key] = u
    sigma = u @ (mat @ v)
    return w / sigma


def lrelu(x):
    return F.leaky_relu(x, 0.2)


class Disc:
    """D trunk (SN convs 4x4/s2/p1 + SN FC) with a D head and a Q head, or (cr=True) InfoGAN-CR's pair discriminator."""

    def __init__(self, in_ch, chans, size, hidden, q_out=0, cr_out=0):
        self.p, self.u, c = {}, {}, in_ch
        for i, ch in enumerate(chans):
            self.p[f"conv{i}"], self.p[f"conv{i}_b"] = normal(ch, c, 4, 4), zeros(ch)
            self.u[f"conv{i}"] = torch.randn(ch)
            c = ch
            size //= 2
        self.nconv = len(chans)
        self.p["fc"], self.p["fc_b"], self.u["fc"] = normal(hidden, c * size * size), zeros(hidden), torch.randn(hidden)
        if q_out:
            self.p["d"], self.p["d_b"], self.u["d"] = normal(1, hidden), zeros(1), torch.randn(1)
            self.p["qh"], self.p["qh_b"], self.u["qh"] = normal(hidden, hidden), zeros(hidden), torch.randn(hidden)
            self.p["q"], self.p["q_b"], self.u["q"] = normal(q_out, hidden), zeros(q_out), torch.randn(q_out)
        if cr_out:
            self.p["out"], self.p["out_b"] = normal(cr_out, hidden), zeros(cr_out)

    def trunk(self, x, p=None):
        p = p or self.p
        for i in range(self.nconv):
            x = lrelu(F.conv2d(x, sn_weight(p[f"conv{i}"], self.u, f"conv{i}"), p[f"conv{i}_b"], 2, 1))
        x = x.flatten(1)
        return lrelu(F.linear(x, sn_weight(p["fc"], self.u, "fc"), p["fc_b"]))

    def d_head(self, h, p=None):
        p = p or self.p
        return F.linear(h, sn_weight(p["d"], self.u, "d"), p["d_b"]).flatten()

    def q_head(self, h):
        p = self.p
        h = lrelu(F.linear(h, sn_weight(p["qh"], self.u, "qh"), p["qh_b"]))
        return F.linear(h, sn_weight(p["q"], self.u, "q"), p["q_b"])

    def cr(self, a, b):
        return F.linear(self.trunk(torch.cat([a, b], 1)), self.p["out"], self.p["out_b"])


class Gen(nn.Module):
    """InfoGAN-CR's generator: FC hidden, FC start²·ch0 (ReLU then BN), convT 4x4/s2/p1 (LeakyReLU then BN), convT to
    the image, sigmoid."""

    def __init__(self, z_dim, hidden, chans, start):
        super().__init__()
        self.fc0, self.bn0 = nn.Linear(z_dim, hidden), nn.BatchNorm1d(hidden, momentum=0.1, eps=1e-5)
        self.fc1 = nn.Linear(hidden, start * start * chans[0])
        self.bn1 = nn.BatchNorm1d(start * start * chans[0], momentum=0.1, eps=1e-5)
        self.ups, self.bns, c = nn.ModuleList(), nn.ModuleList(), chans[0]
        for ch in chans:
            self.ups.append(nn.ConvTranspose2d(c, ch, 4, 2, 1))
            self.bns.append(nn.BatchNorm2d(ch, momentum=0.1, eps=1e-5))
            c = ch
        self.out = nn.ConvTranspose2d(c, 1, 4, 2, 1)
        self.start, self.ch0 = start, chans[0]
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, z):
        h = self.bn0(F.relu(self.fc0(z)))
        h = self.bn1(F.relu(self.fc1(h))).view(-1, self.ch0, self.start, self.start)
        for up, bn in zip(self.ups, self.bns):
            h = bn(lrelu(up(h)))
        return torch.sigmoid(self.out(h))


def d_loss_joint(logits):
    return F.softplus(-logits[:B]).mean() + F.softplus(logits[B:]).mean()


def q_loss(q, cat, cont, ncat):
    loss = 0
    if ncat:
        loss = F.cross_entropy(q[:, :ncat], cat)
    diff = cont - q[:, ncat:]
    return loss + (0.5 * diff ** 2 + 0.5 * math.log(2 * math.pi)).sum(1).mean()


def infogan(unroll=0, cr=False):
    if cr:  # 64x64 dSprites: 5 continuous codes + 5 noise
        ncat, ncont, noise, size = 0, 5, 5, 64
        g = Gen(ncat + ncont + noise, 128, (64, 32, 32), 4)
        d = Disc(1, (32, 32, 64, 64), size, 128, q_out=ncont)
        crd = Disc(2, (32, 32, 64, 64), size, 128, cr_out=ncont)
        g_lr, d_lr, lam_d, lam_g, g_steps = 1e-3, 2e-3, 0.05, 0.05, 2
    else:  # 28x28 MNIST: 10-way categorical, 2 continuous, 62 noise
        ncat, ncont, noise, size = 10, 2, 62, 28
        g = Gen(ncat + ncont + noise, 128, (64,), 7)
        d = Disc(1, (32, 64), size, 128, q_out=ncat + ncont)
        crd = None
        g_lr, d_lr, lam_d, lam_g, g_steps = 1e-3, 2e-4, 1.0, 1.0, 1
    g_params, d_params = list(g.parameters()), list(d.p.values())
    g_opt = torch.optim.Adam(g_params, lr=g_lr, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d_params, lr=d_lr, betas=(0.5, 0.999))
    if crd:
        cr_params = list(crd.p.values())
        cr_opt = torch.optim.Adam(cr_params, lr=2e-3, betas=(0.5, 0.999))
    unrolled = ["conv0", "conv0_b", "conv1", "conv1_b", "conv2", "conv2_b", "conv3", "conv3_b", "fc", "fc_b", "d", "d_b"]
    unrolled = [k for k in unrolled if k in d.p]
    data = random_images(size)

    def latents():
        cat = torch.randint(0, 10, (B,))
        cont = torch.rand(B, ncont) * 2 - 1
        parts = ([F.one_hot(cat, 10).float()] if ncat else []) + [cont, torch.rand(B, noise) * 2 - 1]
        return torch.cat(parts, 1), cat, cont

    def pairs():
        za, _, _ = latents()
        zb, _, _ = latents()
        label = torch.randint(0, ncont, (B,))
        return za, zb, label

    def set_grads(params, grads):
        for p, gr in zip(params, grads):
            p.grad = gr

    def step():
        if crd:  # CR discriminator step: pairs from the generator in training mode, no generator gradients
            za, zb, label = pairs()
            with torch.no_grad():
                xa, xb = g(za), g(zb)
            loss = F.cross_entropy(crd.cr(xa, xb), label)
            set_grads(cr_params, torch.autograd.grad(loss, cr_params))
            cr_opt.step()
        real = batch_of(data)
        z, cat, cont = latents()  # D / Q step
        with torch.no_grad():
            fake = g(z)
        h = d.trunk(torch.cat([real, fake], 0))
        loss = d_loss_joint(d.d_head(h)) + lam_d * q_loss(d.q_head(h[B:]), cat, cont, ncat)
        set_grads(d_params, torch.autograd.grad(loss, d_params))
        d_opt.step()
        for _ in range(g_steps):  # G steps
            z, cat, cont = latents()
            fake = g(z)
            if unroll:
                p = dict(d.p)
                for _ in range(unroll):
                    l = d_loss_joint(d.d_head(d.trunk(torch.cat([real, fake], 0), p), p))
                    gr = torch.autograd.grad(l, [p[k] for k in unrolled], create_graph=True)
                    for k, gk in zip(unrolled, gr):
                        p[k] = p[k] - d_lr * gk
                g_gan = F.softplus(-d.d_head(d.trunk(fake, p), p)).mean()
                h = d.trunk(fake)
            else:
                h = d.trunk(fake)
                g_gan = F.softplus(-d.d_head(h)).mean()
            loss = g_gan + lam_g * q_loss(d.q_head(h), cat, cont, ncat)
            if crd:
                za, zb, label = pairs()
                loss = loss + 2.0 * F.cross_entropy(crd.cr(g(za), g(zb)), label)
            set_grads(g_params, torch.autograd.grad(loss, g_params))
            g_opt.step()

    return step


MODELS = {
    "BetaVAE": beta_vae,
    "FactorVAE": factor_vae,
    "InfoGANMNISTK0": lambda: infogan(0),
    "InfoGANMNISTK5": lambda: infogan(5),
    "InfoGANCR": lambda: infogan(cr=True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10, help="timed steps (median reported)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="run only this model")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}", flush=True)
    for name, make in MODELS.items():
        if args.only and name != args.only:
            continue
        ts, cpu = time_steps(make(), args.warmup, args.steps)
        print(f"{name} {statistics.median(ts):.2f} {min(ts):.2f} {max(ts):.2f} {statistics.median(cpu):.2f}", flush=True)


if __name__ == "__main__":
    main()
