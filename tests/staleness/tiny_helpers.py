"""A helper module without REPORT, shared by the tiny reports."""


def double(x: float) -> float:
    return 2 * x
