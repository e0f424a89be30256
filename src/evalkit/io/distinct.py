"""Computing a function once per distinct cell value: an export repeats its labels, codes and amounts, so
the cleaner and the identifier scrubber work on each distinct value once and share the result."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["each_distinct"]


def each_distinct(values: Iterable[object], func: Callable[[object], object]) -> list[object]:
    """``func`` of every value, computed once per distinct value, in the order of ``values``.

    Values are told apart by type as well as value (``1``, ``1.0`` and ``True`` are equal keys in a dict);
    a float zero is never shared (``-0.0 == 0.0`` but they are written differently); an unhashable value is
    computed each time.

    >>> calls = []
    >>> each_distinct(["a", 1, 1.0, True, "a", -0.0, 0.0], lambda v: calls.append(v) or repr(v))
    ["'a'", '1', '1.0', 'True', "'a'", '-0.0', '0.0']
    >>> calls
    ['a', 1, 1.0, True, -0.0, 0.0]
    """
    done: dict[tuple[type, object], object] = {}
    out = []
    for value in values:
        key = (type(value), value)
        try:
            result = done[key]
        except (KeyError, TypeError):
            result = func(value)
            if not (isinstance(value, float) and value == 0.0):
                try:
                    done[key] = result
                except TypeError:  # an unhashable cell
                    pass
        out.append(result)
    return out
