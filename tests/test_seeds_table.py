"""report.fragments.seeds_table: results over seeds as mean ± std cells, one row per label; and
`finals_table`, the same of run records' final values."""

from __future__ import annotations

import pytest

from report.fragments import finals_table, seeds_table


def test_seeds_table_gives_each_column_its_mean_std_and_digits():
    rows = {"wide": [[0.9, 0.95], [0.1, 0.3]], "deep": [[0.8, 0.8], [0.5, 0.5]]}
    text = seeds_table(["network", "accuracy", "loss"], rows, [2, 1])
    assert r"\num{0.93 +- 0.02}" in text and r"\num{0.2 +- 0.1}" in text
    assert text.index("wide") < text.index("deep") and "network&accuracy&loss" in text


def test_seeds_table_refuses_a_row_without_a_digits_entry_per_column():
    with pytest.raises(ValueError):
        seeds_table(["n", "a"], {"x": [[1.0], [2.0]]}, [2])


def test_finals_table_takes_a_history_s_last_value_and_a_scalar_as_it_is():
    runs = {"net": [{"acc": [0.1, 0.9], "loss": 0.5}, {"acc": [0.2, 0.95], "loss": 0.3}]}
    text = finals_table(["network", "accuracy", "loss"], runs, ("acc", "loss"), [2, 1])
    assert text == seeds_table(["network", "accuracy", "loss"],
                               {"net": [[0.9, 0.95], [0.5, 0.3]]}, [2, 1])
    assert r"\num{0.93 +- 0.02}" in text and r"\num{0.4 +- 0.1}" in text
