"""The plan: a request resolved against the schema cache (plan.py builds it, builder.py renders it).

Every name in it comes from the catalog, every value is what will be bound; nothing
here is request text that still needs checking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .request import QueryParams
from .schema_cache import Column, ForeignKey, Function, Table

@dataclass(slots=True)
class PlannedField:
    """A column of the level's source, maybe followed by a JSON path; `type` is the value's type."""

    column: Column
    json_path: tuple[tuple[str, int | str], ...]  # (`->` or `->>`, key); an int key is an array index
    type: str


@dataclass(slots=True)
class AllColumns:
    """`*`: the source's columns in catalog order."""

    names: tuple[str, ...]


@dataclass(slots=True)
class OutputColumn:
    field: PlannedField
    name: str  # the JSON key: the alias, or the column / last JSON key
    cast: str | None  # a type name checked against the cache's types


@dataclass(slots=True)
class Join:
    fk: ForeignKey
    kind: str  # many_to_one | one_to_many (as seen from the parent)
    pairs: tuple[tuple[str, str], ...]  # (child column, parent column)
    to_one: bool  # an object, not an array


@dataclass(slots=True)
class Embed:
    name: str  # the JSON key
    join: Join
    node: "Node"


@dataclass(slots=True)
class Condition:
    field: PlannedField
    operator: str
    operand: Any  # what is bound: text, a list of texts, or an `is` keyword (IS_VALUES' SQL)
    type: str  # what the operand is cast to
    negated: bool = False
    modifier: str | None = None  # any / all, or the text search configuration


@dataclass(slots=True)
class Logic:
    operator: str  # and | or
    children: list[Union["Logic", Condition]]
    negated: bool = False


@dataclass(slots=True)
class Exists:
    """`!inner` (wanted) and `rel=(not.)is.null`: parents with (or without) a matching embedded row."""

    embed: Embed
    wanted: bool


Filter = Union[Condition, Logic]
Where = Union[Condition, Logic, Exists]
Selected = Union[AllColumns, OutputColumn, Embed]


@dataclass(slots=True)
class OrderBy:
    field: PlannedField
    descending: bool
    nulls: str | None


@dataclass(slots=True)
class Node:
    """One level of a read: the root, or an embedded resource."""

    table: Table
    columns: dict[str, Column]
    select: list[Selected] = field(default_factory=list)
    where: list[Where] = field(default_factory=list)
    order: list[OrderBy] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class ReadPlan:
    root: Node
    count: bool = False  # Prefer: count=...
    single: bool = False  # one JSON object (Accept: vnd.pgrst.object, or a function returning one row)
    strip_nulls: bool = False


@dataclass(frozen=True, slots=True)
class Representation:
    """`Prefer: return=representation` on a write: the rows it returned, read through the select list."""

    query: QueryParams
    count: bool
    single: bool
    strip_nulls: bool


@dataclass(slots=True)
class Conflict:
    keys: tuple[str, ...]
    updates: tuple[str, ...] | None  # None: DO NOTHING


@dataclass(slots=True)
class InsertPlan:
    table: Table
    groups: list[tuple[tuple[str, ...], list[dict]]]  # one INSERT per distinct column set
    conflict: Conflict | None
    returning: ReadPlan | None  # return=representation


@dataclass(slots=True)
class UpdatePlan:
    table: Table
    body: dict
    columns: list[str]
    where: list[Where]
    returning: ReadPlan | None


@dataclass(slots=True)
class DeletePlan:
    table: Table
    where: list[Where]
    returning: ReadPlan | None


@dataclass(slots=True)
class RpcPlan:
    function: Function
    arguments: list[tuple[str, str, str | None]]  # (catalog name, type, the text PostgreSQL parses)
    shape: str  # rows | object | scalar | void
    read: ReadPlan | None  # functions returning rows of known columns: filtered like a table
    count: bool = False
    limit: int | None = None  # the query's paging: set-returning functions of a scalar type page with it
    offset: int = 0
