"""`build.py new ID`: write a new report that builds to a PDF at once.

Three files, each a starting point to edit: `report/assignments/<module>.py` (one experiment
over seeds, one derivation of the report's own, one claim), `figures/<module>.py` (one figure)
and `templates/<id>.tex.j2` (one section that shows all of them).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")

REPORT_MODULE = '''"""{id}: {title} — configs, the context the template quotes, its claims."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

import derivations
from derivations import Derivation, Step
from figures import {module} as fig
from model import BCE, Linear, Net, Sigmoid, Tanh, fit
from model.data import xor
from report.spec import Experiment, FigureSpec, Report, claim
from report.sweep import per_seed

x = sp.Symbol("x", real=True)


@derivations.register
def {module}_softplus() -> Derivation:
    """d/dx log(1 + e^x) = sigma(x): the report's own derivation, verified like the core's."""
    return Derivation(
        name="{module}_softplus",
        title="Derivative of the softplus",
        lhs=sp.Derivative(sp.log(1 + sp.exp(x)), x),
        steps=[
            Step(sp.exp(x) / (1 + sp.exp(x)), "chain rule: $(\\\\log u)' = u'/u$"),
            Step(1 / (1 + sp.exp(-x)), "divide by $e^x$: the logistic sigmoid"),
        ],
        definition=sp.log(1 + sp.exp(x)),
        wrt=x,
    )


# The experiment: a 2-4-1 tanh network on XOR, full-batch gradient descent, one run per seed.
XOR = {{"hidden": 4, "lr": 1.0, "epochs": 500, "seeds": [0, 1, 2]}}


def train_xor(config: dict) -> dict[str, Any]:
    """One seed: the loss after every epoch and the final accuracy."""
    x, y = xor()
    rng = np.random.default_rng(config["seed"])
    net = Net([Linear(2, config["hidden"], rng), Tanh(), Linear(config["hidden"], 1, rng),
               Sigmoid()])
    history = fit(net, BCE(), x, y, epochs=config["epochs"], lr=config["lr"], batch_size=len(x),
                  seed=config["seed"], progress=False)
    return {{"loss": np.array(history.epoch_loss), "acc": history.epoch_acc[-1]}}


def run_xor(config: dict) -> dict[str, Any]:
    """Every seed of XOR (a sweep: points run in parallel and are cached one by one)."""
    return {{"runs": per_seed(train_xor, config, "xor")}}


def context(r: dict[str, Any]) -> dict[str, Any]:
    """What the template quotes, and the claim behind its sentence about the loss."""
    runs = r["xor"]["runs"]
    claim(all(run["loss"][-1] < run["loss"][0] for run in runs),
          "training lowers the loss for every seed")
    return {{"final_loss": float(np.mean([run["loss"][-1] for run in runs])),
             "n_seeds": len(runs)}}


REPORT = Report(
    id="{id}",
    title="{title}",
    template="{id}.tex.j2",
    experiments=(Experiment("xor", run_xor, XOR),),
    figures=(FigureSpec("{module}_loss", fig.loss_curves, ("xor",)),),
    context=context,
)
'''

FIGURES_MODULE = '''"""{id}'s figures: one function per figure, each drawing one PDF."""

from __future__ import annotations

from pathlib import Path

from figures.common import new_figure, save


def loss_curves(r: dict, out: Path) -> None:
    """The training loss of every seed against the epoch, on a log axis."""
    fig, ax = new_figure(height=2.2)
    for i, run in enumerate(r["xor"]["runs"]):
        ax.plot(run["loss"], ["-", "--", ":", "-."][i % 4], label=f"run {{i + 1}}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (BCE)")
    ax.legend()
    save(fig, out)
'''

TEMPLATE = r'''<% extends "base.tex.j2" %>
<% block body %>
\section*{1 A network for XOR}

The softplus is the integral of the sigmoid:
<< derivation("{module}_softplus") >>

A 2-<< cfg.xor.hidden >>-1 network trained for << cfg.xor.epochs >> epochs from << n_seeds >>
seeds ends at a mean training loss of << final_loss|num(3) >>, below the $\log 2$ of a constant
guess.<< check(final_loss < 0.69, "the mean final loss is below log 2") >>
<< listing("report.assignments.{module}.train_xor") >>
<< figure("{module}_loss", "Training loss of every seed.") >>
<% endblock %>
'''


def write_skeleton(report_id: str, root: Path = ROOT, title: str | None = None) -> list[Path]:
    """Write the three files of report `report_id` under `root`; refuse to overwrite any."""
    if not ID.fullmatch(report_id):
        raise ValueError(f"report id {report_id!r} must be lower-case letters and digits, "
                         "words joined by '-' (e.g. hw3-cnn)")
    module = report_id.replace("-", "_")
    fields = {"id": report_id, "module": module, "title": title or f"{report_id} (new report)"}
    files = {
        root / "report" / "assignments" / f"{module}.py": REPORT_MODULE.format(**fields),
        root / "figures" / f"{module}.py": FIGURES_MODULE.format(**fields),
        root / "templates" / f"{report_id}.tex.j2": TEMPLATE.replace("{module}", module),
    }
    existing = [path for path in files if path.exists()]
    if existing:
        raise FileExistsError(f"{existing[0]} exists already; choose another id")
    for path, text in files.items():
        path.write_text(text)
    return list(files)


def main(argv: list[str]) -> int:
    """`build.py new ID [--title TEXT]`."""
    parser = argparse.ArgumentParser(prog="build.py new",
                                     description="Write a new report that builds at once.")
    parser.add_argument("id", help="the report id, e.g. hw3-cnn")
    parser.add_argument("--title", help="the title page's title (default: the id)")
    args = parser.parse_args(argv)
    try:
        written = write_skeleton(args.id, title=args.title)
    except (ValueError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"next: python build.py {args.id}   (then edit the three files; see README)")
    return 0
