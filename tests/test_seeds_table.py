"""report.fragments.seeds_table: results over seeds as mean ± std cells, one row per label."""

from __future__ import annotations

import pytest

from report.fragments import seeds_table


def test_seeds_table_gives_each_column_its_mean_std_and_digits():
    rows = {"wide": [[0.9, 0.95], [0.1, 0.3]], "deep": [[0.8, 0.8], [0.5, 0.5]]}
    text = seeds_table(["network", "accuracy", "loss"], rows, [2, 1])
    assert r"\num{0.93 +- 0.02}" in text and r"\num{0.2 +- 0.1}" in text
    assert text.index("wide") < text.index("deep") and "network&accuracy&loss" in text


def test_seeds_table_refuses_a_row_without_a_digits_entry_per_column():
    with pytest.raises(ValueError):
        seeds_table(["n", "a"], {"x": [[1.0], [2.0]]}, [2])
