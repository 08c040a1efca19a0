"""The small task tests/test_distributed.py trains on one process and on two: a linear
regression with plain SGD, so that an update is proportional to the averaged gradient
(Adam's first steps would hide a summed or halved gradient)."""
import torch
import torch.nn as nn

from s2i_lib.train import Task

N, BATCH, DIM = 32, 8, 5


class Regression(Task):
    def __init__(self, model: nn.Module, X: torch.Tensor, y: torch.Tensor, lr: float = 0.1):
        self.model, self.X, self.y = model, X, y
        self.modules = {"model": model}
        self.optimizers = {"sgd": torch.optim.SGD(model.parameters(), lr=lr)}
        self.schedulers = {}
        self.seen = []                          # how many items each step of this process trained on

    def step(self, idx, engine):
        self.seen.append(len(idx))
        loss = ((self.model(self.X[idx]).squeeze(1) - self.y[idx]) ** 2).mean()
        opt = self.optimizers["sgd"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss}


def make_task() -> Regression:
    g = torch.Generator().manual_seed(3)
    X = torch.randn(N, DIM, generator=g)
    y = X @ torch.arange(1.0, DIM + 1) + 0.1 * torch.randn(N, generator=g)
    model = nn.Sequential(nn.Linear(DIM, 4), nn.Tanh(), nn.Linear(4, 1))
    return Regression(model, X, y)
