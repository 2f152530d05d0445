"""`epoch_seconds(column)`: a stored time as seconds since the Unix epoch (UTC), a plain float
computed by the database. Reports compare and subtract hundreds of thousands of deadline times;
as floats they cost the database nothing and Python almost nothing, where building an aware
datetime per value (SQLite's text parsing above all) would dominate the report's build."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[float]):
    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps naive-UTC text (models.store.columns), which julianday reads.
    # julianday is a float of days: round to the millisecond, or 1,200 s comes back 1,199.99997.
    inner = compiler.process(element.clauses, **kw)
    return f"ROUND((julianday({inner}) - 2440587.5) * 86400.0, 3)"


@compiles(epoch_seconds, "postgresql")
def _postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(EPOCH FROM {inner}) AS DOUBLE PRECISION)"
