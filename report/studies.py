"""Studies several reports run the same way: §1.1's gradient descent on `model.optim2d.f` and
§1.6-§1.7's training on the digits (dl2023-a1, dl2024-a1), as their experiments, the figures
drawn from them and the facts the answers quote. A report adds its own runs beside them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from figures import studies
from model import optim2d
from model.data import digits_overview
from model.runstats import finals
from report.fragments import finals_table, matrix_table, unit_symmetry_table
from report.spec import Experiment, FigureSpec
from report.sweep import LR_MB_SEED, cases, each_over_seeds, grid_arrays


def descent_experiments(b: dict, grid: dict, compare: dict, decay: dict, minima: dict
                        ) -> tuple[Experiment, ...]:
    """The descent study's runs from their configs: the prescribed run `gd_b` (`run_gd`), the
    grid of step sizes x steps `gd_grid`, the too small, good and too large step sizes
    `gd_compare`, the decaying step size `gd_decay`, and the minima of f they are read
    against, `minima` (`find_minima`)."""
    return (Experiment("gd_b", optim2d.run_gd, b),
            Experiment("gd_grid", optim2d.run_gd_grid, grid),
            Experiment("gd_compare", optim2d.run_gd_compare, compare),
            Experiment("gd_decay", optim2d.run_gd, decay),
            Experiment("minima", optim2d.find_minima, minima))


def descent_figures(prefix: str = "") -> tuple[FigureSpec, ...]:
    """The figures of `descent_experiments`, named `prefix` + gd_path_b, gd_path_d (the grid's
    best run), gd_step_sizes (the three of gd_compare) and gd_path_decay."""
    return tuple(FigureSpec(prefix + name, fn, (run, "minima")) for name, fn, run in (
        ("gd_path_b", studies.gd_path, "gd_b"), ("gd_path_d", studies.gd_path, "gd_grid"),
        ("gd_step_sizes", studies.gd_step_sizes, "gd_compare"),
        ("gd_path_decay", studies.gd_path, "gd_decay")))


def descent_context(r: dict[str, Any]) -> dict[str, Any]:
    """What both reports quote of the study: `optim2d.grid_summary` of the grid and run (b),
    the `compare` runs named small, good and large, and the grid's final f as `grid_table`."""
    grid, minima = r["gd_grid"], r["minima"]["minima"]
    return optim2d.grid_summary(grid, minima, r["gd_b"]) | {
        "compare": dict(zip(("small", "good", "large"), r["gd_compare"].values(), strict=True)),
        "grid_table": matrix_table("step size / steps", grid["step_sizes"], grid["steps"],
                                   grid["final_f"]),
    }


def digits_experiments(train: Callable[[dict], dict], digits: dict, sweep: dict, variants: dict,
                       zero_init: dict, last: Mapping[str, int | None], default_init: str
                       ) -> tuple[Experiment, ...]:
    """The digits study's runs, each network trained by the report's `train(config)`:
    `digits_stats` (`digits_overview` of the split `digits`); `sweep`, learning rate x
    minibatch size x seed, read as arrays of each run's `last` entries ({key: index}, e.g.
    {"test_acc": -1}: the last epoch's); `early_dead`, the sweep's largest rate for one epoch
    only; `variants`, each of `variants["archs"]` for every seed; and `zero_init`, the (arch,
    init) cases, the one whose init is the report's `default_init` being the plain run of that
    arch (one cached point)."""
    grid = partial(grid_arrays, train, axes=LR_MB_SEED, picks=dict(last))
    early = sweep | {"lrs": sweep["lrs"][-1:], "epochs": 1}
    zero = partial(cases, train, names=("arch", "init"), defaults={"init": default_init},
                   desc="zero init")
    return tuple(Experiment(name, fn, config, data=("digits",), what=what)
                 for name, fn, config, what in (
        ("digits_stats", digits_overview, digits, None),
        ("sweep", grid, sweep, "Final accuracies, losses and dead ReLUs over learning rate x "
                               "minibatch size x seed"),
        ("early_dead", grid, early, "The largest rate's runs after one epoch: the ReLUs dead by "
                                    "then"),
        ("variants", partial(each_over_seeds, train, values="archs", key="arch", desc="variants"),
         variants, "Each architecture trained with the same settings, for every seed"),
        ("zero_init", zero, zero_init, "Hidden units trained from all-zero weights, against the "
                                       "default initialisation")))


def digits_figures(prefix: str, key: str, label: str) -> tuple[FigureSpec, ...]:
    """The figures of `digits_experiments` every report shows alike, named `prefix` +
    digits_strip (the first digits) and sweep_heatmap (the sweep's mean final `key`, named
    `label`, over learning rate x minibatch size)."""
    return (FigureSpec(prefix + "digits_strip", studies.digits_strip, ("digits_stats",)),
            FigureSpec(prefix + "sweep_heatmap", partial(studies.sweep_heatmap, key=key,
                                                         label=label), ("sweep",)))


def variants_context(r: dict[str, Any], held: str, held_label: str, train: str,
                     columns: Mapping[str, str], digits: Sequence[int],
                     zero_names: Sequence[str]) -> dict[str, Any]:
    """What both reports quote of `digits_experiments`' variants and zero-weight cases: each
    network's final `held` (held-out accuracy, named `held_label`) and `train` (training
    accuracy) over the seeds, as `acc` and `train_acc` ({network: array}); the variants'
    `finals_table` (`columns`: header -> key, each with its `digits`); the zero-weight cases'
    `unit_symmetry_table`; and those cases' runs under `zero_names`, in order, as `zero`."""
    variants, zero = r["variants"], r["zero_init"]
    acc, train_acc = ({net: finals(runs, key) for net, runs in variants.items()}
                      for key in (held, train))
    return {"acc": acc, "train_acc": train_acc,
            "variants_table": finals_table(["network", *columns], variants, list(columns.values()),
                                           digits),
            "zero_table": unit_symmetry_table(zero, "unit_spread", "w1_norm", held, held_label),
            "zero": dict(zip(zero_names, zero.values(), strict=True))}
