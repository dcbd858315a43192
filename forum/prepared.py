"""Querysets whose SQL is built once per shape and then run with new ids.

Django builds a query anew each time it runs; for a small query on a hot path that
is most of its cost (a send's participants check: about 3 ms to build, hundredths of
a millisecond to run). A `PreparedQuery` builds its queryset once per shape with
stand-in ids, keeps the SQL, and on each run puts the real ids where the stand-ins
were. The queryset still comes from the same code, so the rule it encodes is not
written twice; the shape key must name everything that code reads besides the ids,
and `stand_in` makes a rule that reads more fail instead of reusing a wrong shape.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

# Stand-ins far outside any primary key, so that no other parameter can equal one.
_STAND_IN_BASE = -(10**15)
# Shapes kept per query; past this the cache starts again (shapes are cheap to rebuild).
SHAPES_MAX = 2048


def stand_in(model: type[Model], **values: Any) -> Model:
    """An instance of `model` with only `values` loaded (attribute names, the id among
    them). Reading any other field fails (it would be fetched by a stand-in id, which
    is no row), so a rule that starts reading more of the row shows up at once."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    if len(names) != len(values):
        raise ValueError(f"Not fields of {model.__name__}: {set(values) - set(names)}")
    return model.from_db(None, names, [values[name] for name in names])


# What the visibility rules read of a member besides their id (`forum.visibility`'s
# audience and staff tests): with it, a query built for one member serves all alike.
VIEWER_FIELDS = ("is_active", "is_staff", "country")


def viewer_shape(member: Model) -> tuple:
    """`member`'s VIEWER_FIELDS values: the part of a prepared query's shape they give."""
    meta = member._meta
    return tuple(meta.get_field(name).value_from_object(member) for name in VIEWER_FIELDS)


def viewer_stand_in(member_id: int, shape: tuple) -> Model:
    """A stand-in member with only VIEWER_FIELDS (from `viewer_shape`) and `member_id`."""
    from django.contrib.auth import get_user_model

    values = dict(zip(VIEWER_FIELDS, shape, strict=True))
    return stand_in(get_user_model(), id=member_id, **values)


class PreparedQuery:
    """`build(*context, **ids)` returns a queryset; `rows(shape, *context, **ids)` runs
    its SQL for `ids`. `shape` must determine everything `build` reads from `context`.

    Each id is an int or a sequence of ints (a sequence's length is part of the shape).
    Rows come as the database returns them, without Django's converters: booleans may
    be 0 and 1, dates strings on SQLite.
    """

    def __init__(self, build: Callable[..., QuerySet], using: str = "default") -> None:
        self.build, self.using = build, using
        self.shapes: dict[Hashable, tuple[str, list[Any], list[tuple[int, str, int | None]]]] = {}

    def rows(self, shape: Hashable, *context: Any, **ids: int | Sequence[int]) -> list[tuple]:
        connection = connections[self.using]
        key = (connection.vendor, shape, tuple(_size(v) for v in ids.values()), tuple(ids))
        prepared = self.shapes.get(key)
        if prepared is None:
            prepared = self._prepare(context, ids)
            if len(self.shapes) >= SHAPES_MAX:
                self.shapes.clear()
            self.shapes[key] = prepared
        sql, template, places = prepared
        params = list(template)
        for index, name, position in places:
            value = ids[name]
            params[index] = value[position] if position is not None else value  # type: ignore[index]
        return self._run(connection, sql, params)

    def _prepare(self, context: tuple, ids: dict[str, int | Sequence[int]]):
        stand_ins: dict[str, int | list[int]] = {}
        where: dict[int, tuple[str, int | None]] = {}
        n = 0
        for name, value in ids.items():
            if isinstance(value, int):
                n += 1
                stand_ins[name] = _STAND_IN_BASE - n
                where[_STAND_IN_BASE - n] = (name, None)
            else:
                stand_ins[name] = []
                for position in range(len(value)):
                    n += 1
                    stand_ins[name].append(_STAND_IN_BASE - n)  # type: ignore[union-attr]
                    where[_STAND_IN_BASE - n] = (name, position)
        sql, params = self._sql(self.build(*context, **stand_ins))
        places = [
            (index, *where[param])
            for index, param in enumerate(params)
            if type(param) is int and param in where
        ]
        if {(name, position) for _index, name, position in places} != set(where.values()) or any(
            str(-stand) in sql for stand in where
        ):
            raise ValueError("Every id must reach the query as a parameter of its own")
        return sql, list(params), places

    def _sql(self, queryset: QuerySet) -> tuple[str, Sequence[Any]]:
        return queryset.query.get_compiler(using=self.using).as_sql()

    @staticmethod
    def _run(connection, sql: str, params: Sequence[Any]) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _size(value: int | Sequence[int]) -> int:
    return -1 if isinstance(value, int) else len(value)
