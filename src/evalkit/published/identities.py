"""Part–whole identities among the report's figures, and their reconciliation.

``data/published/identities.csv`` holds one identity per row: ``lhs`` and
``rhs`` are arithmetic expressions over figure ids (``+ - * /``, parentheses,
numbers, and ``count(list_id)`` for the number of items of a named list),
``relation`` is ``==`` or ``<=``, and ``tolerance`` is the slack the report's
rounding allows (0 for exact counts). Every named list also yields an identity
"items listed == figure" automatically.

:func:`reconcile` evaluates them all and reports the gap of each; it does not
hide a failing identity.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit.errors import LedgerError
from evalkit.labels import check_lang, translate_columns
from evalkit.published.ledger import _key, _load_cached, named_lists
from evalkit.validation import csv_line, read_csv_validated

__all__ = ["identities", "reconcile", "reconciliation_view", "evaluate"]

_SCHEMA = pa.DataFrameSchema(
    {
        "identity_id": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$"), unique=True),
        "group": pa.Column(str),
        "description_en": pa.Column(str),
        "description_zh": pa.Column(str),
        "lhs": pa.Column(str),
        "relation": pa.Column(str, pa.Check.isin(["==", "<="])),
        "rhs": pa.Column(str),
        "tolerance": pa.Column(float, pa.Check.ge(0), coerce=True),
        "tolerance_basis": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
)

RECONCILE_COLUMNS = [
    "identity",
    "group",
    "description_en",
    "description_zh",
    "lhs_expr",
    "relation",
    "rhs_expr",
    "lhs",
    "rhs",
    "gap",
    "tolerance",
    "holds",
    "figures",
    "note",
]

_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


def evaluate(expression: str, values: dict[str, float], list_counts: dict[str, int]) -> tuple[float, set[str]]:
    """Evaluate an identity expression; return its value and the figure ids it used.

    Only numbers, figure ids, ``+ - * /``, unary minus, parentheses and
    ``count(list_id)`` are allowed.

    Examples
    --------
    >>> value, used = evaluate("a + b * 2", {"a": 1.0, "b": 3.0}, {})
    >>> value, sorted(used)
    (7.0, ['a', 'b'])
    >>> evaluate("count(towns) - 1", {}, {"towns": 5})
    (4.0, set())
    """
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid expression: {expression!r} ({exc.msg})") from None
    used: set[str] = set()

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise ValueError(f"unknown figure id {node.id!r}")
            used.add(node.id)
            return float(values[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return float(_BINOPS[type(node.op)](walk(node.left), walk(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "count"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
            and not node.keywords
        ):
            name = node.args[0].id
            if name not in list_counts:
                raise ValueError(f"unknown named list {name!r}")
            return float(list_counts[name])
        raise ValueError(f"{ast.unparse(node)!r} is not allowed (use figure ids, numbers, + - * /, count(list))")

    return walk(tree), used


def identities(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The identities table as stored (without the generated list-count identities)."""
    path = Path(_key(data_dir)) / "identities.csv"
    return read_csv_validated(
        path,
        _SCHEMA,
        hint="edit data/published/identities.csv; lhs and rhs are expressions over figure ids.",
        error=LedgerError,
    )


def _list_identities(lists: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    per_list = lists.groupby("list_id", sort=False)["figure_id"].first().reset_index()
    info = ledger.set_index("figure_id")
    stated = per_list["figure_id"].map(info["stated"])
    return pd.DataFrame(
        {
            "identity_id": "list_" + per_list["list_id"],
            "group": "named lists",
            "description_en": "Items named in the list '"
            + per_list["list_id"]
            + "' match "
            + np.where(stated, "the stated count", "the recorded count (the report states none)"),
            "description_zh": "列举项目数与"
            + np.where(stated, "报告所述数量", "记录数量")
            + "一致:"
            + per_list["list_id"],
            "lhs": "count(" + per_list["list_id"] + ")",
            "relation": "==",
            "rhs": per_list["figure_id"],
            "tolerance": 0.0,
            "tolerance_basis": "exact counts",
            "note": "",
        }
    )


def reconcile(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Evaluate every identity; one row each with its gap and whether it holds.

    ``gap`` is ``lhs - rhs``. An ``==`` identity holds when ``|gap|`` is within
    ``tolerance`` (the report's rounding); a ``<=`` identity holds when
    ``gap <= tolerance``.

    Returns
    -------
    pandas.DataFrame
        Columns ``identity, group, description_en, description_zh, lhs_expr,
        relation, rhs_expr, lhs, rhs, gap, tolerance, holds, figures, note``.

    Examples
    --------
    >>> from evalkit import published
    >>> table = published.reconcile().set_index("identity")
    >>> row = table.loc["exits_hh_sum"]
    >>> float(row.lhs), float(row.rhs), bool(row.holds)
    (2964.0, 2964.0, True)
    >>> row = table.loc["health_subgroups"]
    >>> float(row.lhs), float(row.rhs), float(row.gap), bool(row.holds)
    (2545.0, 2557.0, -12.0, False)
    """
    folder = _key(data_dir)
    ledger = _load_cached(folder, False)
    lists = named_lists(data_dir)
    stored = identities(data_dir)
    table = pd.concat([stored, _list_identities(lists, ledger)], ignore_index=True)
    values = dict(zip(ledger["figure_id"], ledger["value"], strict=True))
    counts = lists.groupby("list_id").size().to_dict()
    records = []
    for position, row in enumerate(table.itertuples(index=False)):
        try:
            lhs, used_l = evaluate(row.lhs, values, counts)
            rhs, used_r = evaluate(row.rhs, values, counts)
        except ValueError as exc:
            raise LedgerError(
                f"identity {row.identity_id!r}: {exc}. Use figure ids from ledger.csv.",
                file="identities.csv",
                row=csv_line(position) if position < len(stored) else None,
            ) from None
        gap = lhs - rhs
        slack = row.tolerance + 1e-9 * max(abs(lhs), abs(rhs), 1.0)
        holds = abs(gap) <= slack if row.relation == "==" else gap <= slack
        records.append(
            {
                "identity": row.identity_id,
                "group": row.group,
                "description_en": row.description_en,
                "description_zh": row.description_zh,
                "lhs_expr": row.lhs,
                "relation": row.relation,
                "rhs_expr": row.rhs,
                "lhs": lhs,
                "rhs": rhs,
                "gap": gap,
                "tolerance": float(row.tolerance),
                "holds": bool(holds),
                "figures": ", ".join(sorted(used_l | used_r)),
                "note": row.note if isinstance(row.note, str) else "",
            }
        )
    return pd.DataFrame.from_records(records, columns=RECONCILE_COLUMNS)


def reconciliation_view(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The reconciliation table for display: description in ``lang``, failing rows first.

    Examples
    --------
    >>> view = reconciliation_view(reconcile(), "zh")
    >>> view.columns[:3].tolist(), bool(view["是否成立"].iloc[0])
    (['勾稽关系', '类别', '说明'], False)
    """
    check_lang(lang)
    columns = [
        "description" if c == "description_en" else c
        for c in RECONCILE_COLUMNS
        if c not in ("description_zh", "figures")
    ]
    view = table.assign(description=table[f"description_{lang}"])[columns]
    view = view.sort_values("holds", kind="stable").reset_index(drop=True)
    return translate_columns(view, lang)
