"""The small GANs tests/test_distributed.py trains on one process and on two.

The generators and discriminators here have no batch norm, so that two processes of B/2 can
take exactly the step of one process of B (with batch norm each process normalises its own
half).  :data:`CONFIGS` covers the GAN task's paths: every loss kind, wrong pairs, the
auxiliary classifier, several D or G steps per iteration, an EMA of G, the gradient
penalty's mixing weights, weight clipping, IC-GAN partners and a decaying learning rate."""
import torch
import torch.nn as nn

from s2i_lib.train import GANConfig, GANData, Pix2PixConfig
from s2i_lib.train import gan as gan_mod

N, BATCH, COND, Z, CLASSES = 24, 8, 6, 5, 3

CONFIGS = {
    "hinge": dict(loss="hinge", wrong="class", aux_weight=0.5, n_g=2, ema=0.9),
    "wgan-gp": dict(loss="wgan-gp", wrong="none", n_d=2, lr_schedule="linear"),
    "bce-icgan": dict(loss="bce", wrong="same_class", fake_weight=1.0),
    "wgan": dict(loss="wgan", optimizer="rmsprop", lr_d=5e-3, clip=0.05),
}


class TinyG(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = {"arch": "TinyG"}
        self.net = nn.Sequential(nn.Linear(Z + COND, 32), nn.LeakyReLU(0.2), nn.Linear(32, 3 * 4 * 4))

    def forward(self, z, c):
        return torch.tanh(self.net(torch.cat([z, c], 1))).view(-1, 3, 4, 4)

    def noise(self, n, generator=None, device=None):
        return torch.randn(n, Z, generator=generator, device=device)


class TinyD(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = {"arch": "TinyD"}
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(48, 16), nn.LeakyReLU(0.2))
        self.score, self.embed, self.aux = nn.Linear(16, 1), nn.Linear(COND, 16), nn.Linear(16, CLASSES)

    def forward(self, x, c):
        h = self.body(x)
        return {"adv": self.score(h).flatten() + (h * self.embed(c)).sum(1), "cls": self.aux(h), "h": h}


def data(partners: bool = False) -> GANData:
    g = torch.Generator().manual_seed(5)
    labels = torch.arange(N) % CLASSES
    cond = torch.randn(N, COND, generator=g) + labels[:, None].float()
    images = torch.tanh(torch.randn(N, 3, 4, 4, generator=g))
    p = gan_mod.knn_partners(cond, 3) if partners else None
    return GANData(images, cond, labels, groups=(torch.arange(N) // 2).numpy(), partners=p)


def train(name: str, record: dict):
    """Three iterations of config ``name``; ``record`` gets the first D and G gradients (as
    the optimiser sees them: after DDP's averaging).  Returns the run."""
    torch.manual_seed(0)
    G, D = TinyG(), TinyD()
    cfg = GANConfig(steps=3, batch_size=BATCH, log_every=1, sample_every=0, checkpoint_every=0, seed=2,
                    **CONFIGS[name])
    real = gan_mod.GANTask._optimise

    def spy(task, which, loss):
        opt = task.optimizers[which]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if which not in record:
            record[which] = [None if p.grad is None else p.grad.detach().clone() for p in task.modules[which].parameters()]
        opt.step()
    gan_mod.GANTask._optimise = spy
    try:
        return gan_mod.train_gan(G, D, data(partners=name == "bce-icgan"), cfg, progress=False)
    finally:
        gan_mod.GANTask._optimise = real


class TinyMapG(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = {"arch": "TinyMapG"}
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))

    def forward(self, c):
        return self.net(c)


class TinyPatchD(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = {"arch": "TinyPatchD"}
        self.net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 3, padding=1))

    def forward(self, c, y):
        return {"adv": self.net(torch.cat([c, y], 1)).flatten(1)}


def train_pix2pix():
    from s2i_lib.train import train_pix2pix as fit_p2p
    g = torch.Generator().manual_seed(6)
    cond = torch.randn(N, 1, 4, 4, generator=g)
    target = torch.tanh(cond.flip(-1) + 0.1 * torch.randn(N, 1, 4, 4, generator=g))
    torch.manual_seed(0)
    G, D = TinyMapG(), TinyPatchD()
    cfg = Pix2PixConfig(steps=3, batch_size=BATCH, log_every=1, checkpoint_every=0, seed=3, l1_weight=10.0)
    log = fit_p2p(G, D, cond, target, cfg, progress=False)
    return G, D, log


class TinyEncoder(nn.Module):
    """An encoder without batch norm, for the contrastive tasks."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(48, 16), nn.Tanh(), nn.Linear(16, 6))

    def forward(self, x):
        z = self.net(x)
        return {"embedding": z, "projection": z}


def train_contrastive(kind: str, record: dict):
    """Three steps of the alignment (InfoNCE) or SimCLR (NT-Xent) task on 25 items in batches
    of 10 (the third batch of 5 splits 3 + 2 over two processes); ``record`` gets the first
    gradients the optimiser sees.  Returns the encoder and the log."""
    from s2i_lib.train import EpochBatches, fit
    from s2i_lib.train.contrastive import AlignTask, SimCLRTask
    g = torch.Generator().manual_seed(7)
    X = torch.randn(25, 3, 4, 4, generator=g)
    torch.manual_seed(0)
    enc = TinyEncoder()
    if kind == "align":
        V = torch.nn.functional.normalize(torch.randn(25, 6, generator=g), dim=1)
        task = AlignTask(enc, X, V, epochs=1, lr=1e-2, loss="info_nce", similarity="l2", temperature=0.5)
    else:                                        # fixed views, so that both runs see the same pairs
        task = SimCLRTask(enc, X, epochs=1, lr=1e-2, temperature=0.5, views=lambda x: x.flip(-1) * 0.9)

    def spy(optimizer, args, kwargs):
        if "grads" not in record:
            record["grads"] = [p.grad.detach().clone() for p in enc.parameters()]
    task.optimizers["adam"].register_step_pre_hook(spy)
    log = fit(task, steps=3, batches=EpochBatches(25, 10, seed=1), seed=1, progress=False, log_every=1)
    return enc, log
