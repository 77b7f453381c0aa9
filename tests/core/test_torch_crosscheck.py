"""Cross-check against PyTorch (skipped cleanly when torch is absent): the same
network, data and initial weights give the same weights after several steps."""
import numpy as np
import pytest

from weightlapse.core.model import MLP
from weightlapse.core.optim import make_optimizer

torch = pytest.importorskip("torch")

TORCH_OPT = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}
TORCH_ACT = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
             "leaky_relu": lambda x: torch.nn.functional.leaky_relu(x, 0.01),
             "identity": lambda x: x}


@pytest.mark.parametrize("optimizer", sorted(TORCH_OPT))
@pytest.mark.parametrize("activation,task", [("tanh", "classification"),
                                             ("relu", "classification"),
                                             ("sigmoid", "regression")])
def test_matches_pytorch(optimizer, activation, task):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 5))
    y = rng.integers(0, 3, 32) if task == "classification" else rng.normal(size=(32, 3))
    l2, lr = 0.01, 0.05
    model = MLP([5, 8, 7, 3], activation, "xavier", "float64", l2=l2, task=task,
                rng=np.random.default_rng(1))
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in model.params.values()]
    opt = make_optimizer(optimizer, lr)
    topt = TORCH_OPT[optimizer](tparams, lr)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for step in range(5):
        model.train_step(X, y, opt)
        h = Xt
        for i in range(0, len(tparams), 2):
            h = h @ tparams[i] + tparams[i + 1]
            if i + 2 < len(tparams):
                h = TORCH_ACT[activation](h)
        data = torch.nn.functional.cross_entropy(h, yt) if task == "classification" \
            else torch.nn.functional.mse_loss(h, yt)
        loss = data + (l2 / 2) * sum((W ** 2).sum() for W in tparams[0::2])
        topt.zero_grad()
        loss.backward()
        topt.step()
    for (name, p), tp in zip(model.params.items(), tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
