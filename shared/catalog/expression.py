"""A small, safe arithmetic language for rules and derived indicators.

Expressions use indicator codes, numbers, ``+ - * /`` and parentheses, for example
``100 * (1 - docs_issued / docs_issued_prev_year)``. They are parsed once, when the catalog is
loaded, and evaluated with exact decimal arithmetic. Division by zero, or a missing value, makes
the result ``None`` (not computable) rather than an error.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

Number = int | Decimal
_BINARY: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}


class InvalidExpression(ValueError):
    pass


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    names: frozenset[str]

    @classmethod
    def parse(cls, source: str) -> Expression:
        try:
            tree = ast.parse(source, mode="eval").body
        except SyntaxError as error:
            raise InvalidExpression(f"cannot parse {source!r}: {error.msg}") from error
        for node in ast.walk(tree):
            _check_allowed(node, source)
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        return cls(source, tree, frozenset(names))

    def evaluate(self, values: Mapping[str, Number | None]) -> Decimal | None:
        return _evaluate(self.tree, values)


def _check_allowed(node: ast.AST, source: str) -> None:
    """Names, numbers and + - * / only: a catalog rule must not run arbitrary Python."""
    if isinstance(node, ast.Name | ast.operator | ast.unaryop | ast.Load):
        allowed_operator = not isinstance(node, ast.operator | ast.unaryop) or isinstance(
            node, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.USub
        )
        if not allowed_operator:
            raise InvalidExpression(f"operator not allowed in {source!r}")
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise InvalidExpression(f"only numbers are allowed in {source!r}")
    elif not isinstance(node, ast.BinOp | ast.UnaryOp):
        raise InvalidExpression(f"{type(node).__name__} not allowed in {source!r}")


def _evaluate(node: ast.expr, values: Mapping[str, Number | None]) -> Decimal | None:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        return None if value is None else Decimal(value)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return None if operand is None else -operand
    assert isinstance(node, ast.BinOp)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Div):
        return None if right == 0 else left / right
    return _BINARY[type(node.op)](left, right)


COMPARATORS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
