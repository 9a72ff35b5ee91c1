"""Many nets trained at once (model.batched.fit_many) give what one fit per net gives."""

import numpy as np
import pytest

from model import BCE, MSE, Diverged, Linear, Net, ReLU, Sigmoid, Tanh, fit
from model.batched import fit_many
from model.data import xor


def _xor_net(seed, hidden=2, act=Tanh):
    rng = np.random.default_rng(seed)
    return Net([Linear(2, hidden, rng), act(), Linear(hidden, 1, rng), Sigmoid()])


@pytest.mark.parametrize("loss", [BCE(), MSE()], ids=["bce-from-logits", "mse"])
@pytest.mark.parametrize("act", [Tanh, ReLU], ids=["tanh", "relu"])
def test_fit_many_matches_one_fit_per_net_in_float64(loss, act):
    x, y = xor()
    seeds, rates = [0, 1, 2, 7], [0.5, 0.5, 1.0, 0.1]
    alone = [_xor_net(s, 3, act) for s in seeds]
    together = [_xor_net(s, 3, act) for s in seeds]
    expected = [fit(net, loss, x, y, epochs=300, lr=r, progress=False)
                for net, r in zip(alone, rates, strict=True)]
    got = fit_many(together, loss, x, y, epochs=300, lr=rates)
    for h_one, h_many in zip(expected, got, strict=True):
        np.testing.assert_allclose(h_many.step_loss, h_one.step_loss, rtol=0, atol=1e-12)
        assert h_many.step_acc == h_one.step_acc
        np.testing.assert_allclose(h_many.epoch_loss, h_one.epoch_loss, rtol=0, atol=1e-12)
        assert h_many.steps_per_epoch == h_one.steps_per_epoch == 1
    for net_one, net_many in zip(alone, together, strict=True):
        for (name, a), (_, b) in zip(net_one.parameters() + net_one.gradients(),
                                     net_many.parameters() + net_many.gradients(), strict=True):
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-12, err_msg=name)


def test_fit_many_keeps_float32_nets_in_float32():
    x, y = xor()
    nets = [Net([Linear(2, 2, np.random.default_rng(s), dtype=np.float32), Tanh(),
                 Linear(2, 1, np.random.default_rng(s + 10), dtype=np.float32), Sigmoid()])
            for s in range(3)]
    fit_many(nets, BCE(), x, y, epochs=5, lr=0.5)
    assert {p.dtype for net in nets for _, p in net.parameters() + net.gradients()} == {
        np.dtype(np.float32)}


def test_fit_many_refuses_nets_of_different_shapes():
    x, y = xor()
    with pytest.raises(ValueError, match="network 1's parameter shapes"):
        fit_many([_xor_net(0, 2), _xor_net(1, 3)], BCE(), x, y, epochs=1, lr=0.1)


def test_a_diverging_net_raises_diverged_naming_it():
    x, y = xor()
    nets = [_xor_net(0), _xor_net(1)]
    nets[1].layers[0].W[...] = np.nan
    with pytest.raises(Diverged) as caught:
        fit_many(nets, BCE(), x, y, epochs=3, lr=0.1)
    assert caught.value.step == 1
    assert "network 1 of the 2" in "".join(caught.value.__notes__)
