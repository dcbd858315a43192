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
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

# Stand-ins far above any primary key, so that no other parameter can equal one, yet
# within a positive 64-bit field's range (Django drops an out-of-range value from a
# lookup, and the check below would then refuse the query).
_STAND_IN_BASE = 2**62
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


# What Django's compiler works out while building a query and reads again to turn its
# rows into model instances (`ModelIterable`).
_COMPILED_STATE = ("select", "klass_info", "annotation_col_map", "col_count", "has_extra_select")


@dataclass(frozen=True)
class _Prepared:
    sql: str
    template: list[Any]
    # (parameter index, id name, position in a list, the parameter's int type)
    places: list[tuple[int, str, int | None, type]]
    queryset: QuerySet  # built with the stand-ins: its compiled state makes the instances
    state: dict[str, Any]


class PreparedQuery:
    """`build(*context, **ids)` returns a queryset; `rows(shape, *context, **ids)` runs
    its SQL for `ids`, and `objects(...)` returns its model instances. `shape` must
    determine everything `build` reads from `context`.

    Each id is an int or a sequence of ints (a sequence's length is part of the shape).
    `rows` come as the database returns them, without Django's converters: booleans may
    be 0 and 1, dates strings on SQLite. `objects` are what iterating the queryset would
    give: converted values, `select_related` objects and annotations included.
    """

    def __init__(self, build: Callable[..., QuerySet], using: str = "default") -> None:
        self.build, self.using = build, using
        self.shapes: dict[Hashable, _Prepared] = {}

    def rows(self, shape: Hashable, *context: Any, **ids: int | Sequence[int]) -> list[tuple]:
        connection = connections[self.using]
        prepared, params = self._bind(connection, shape, context, ids)
        return self._run(connection, prepared.sql, params)

    def objects(self, shape: Hashable, *context: Any, **ids: int | Sequence[int]) -> list[Model]:
        """The model instances of the queryset `build` returns, for `ids`."""
        connection = connections[self.using]
        prepared, params = self._bind(connection, shape, context, ids)
        queryset = prepared.queryset
        if queryset._iterable_class is not ModelIterable:
            raise ValueError("objects() makes model instances: use rows() for values")
        # Django's own iterable makes the instances; its compiler is told the SQL and
        # the state it would have worked out, instead of building them again.
        compiler = queryset.query.get_compiler(using=self.using)
        compiler.__dict__.update(prepared.state)
        compiler.as_sql = lambda *args, **kwargs: (prepared.sql, params)
        return list(ModelIterable(_Compiled(queryset, compiler)))

    def _bind(self, connection, shape: Hashable, context: tuple, ids: dict) -> tuple:
        key = (connection.vendor, shape, tuple(_size(v) for v in ids.values()), tuple(ids))
        prepared = self.shapes.get(key)
        if prepared is None:
            prepared = self._prepare(context, ids)
            if len(self.shapes) >= SHAPES_MAX:
                self.shapes.clear()
            self.shapes[key] = prepared
        params = list(prepared.template)
        for index, name, position, kind in prepared.places:
            value = ids[name]
            value = value[position] if position is not None else value
            # The same int type as Django gave the stand-in (psycopg's Int8, say).
            params[index] = value if kind is int else kind(value)
        return prepared, params

    def _prepare(self, context: tuple, ids: dict[str, int | Sequence[int]]) -> _Prepared:
        stand_ins: dict[str, int | list[int]] = {}
        where: dict[int, tuple[str, int | None]] = {}
        n = 0
        for name, value in ids.items():
            if isinstance(value, int):
                n += 1
                stand_ins[name] = _STAND_IN_BASE + n
                where[_STAND_IN_BASE + n] = (name, None)
            else:
                stand_ins[name] = []
                for position in range(len(value)):
                    n += 1
                    stand_ins[name].append(_STAND_IN_BASE + n)  # type: ignore[union-attr]
                    where[_STAND_IN_BASE + n] = (name, position)
        queryset = self.build(*context, **stand_ins)
        if queryset._prefetch_related_lookups:
            raise ValueError("A prepared query cannot prefetch: its lookups would not run")
        compiler = queryset.query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        places = [
            (index, *where[param], type(param))
            for index, param in enumerate(params)
            if isinstance(param, int) and not isinstance(param, bool) and param in where
        ]
        if {(name, position) for _index, name, position, _kind in places} != set(
            where.values()
        ) or any(str(stand) in sql for stand in where):
            raise ValueError("Every id must reach the query as a parameter of its own")
        state = {name: getattr(compiler, name) for name in _COMPILED_STATE}
        return _Prepared(sql, list(params), places, queryset, state)

    @staticmethod
    def _run(connection, sql: str, params: Sequence[Any]) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class _Compiled:
    """What `ModelIterable` reads of a queryset, with the compiler it is to use."""

    def __init__(self, queryset: QuerySet, compiler) -> None:
        self.db, self.model = queryset.db, queryset.model
        self._fetch_mode = queryset._fetch_mode
        self._known_related_objects: dict = {}
        self.query = _CompilerOf(compiler)


class _CompilerOf:
    def __init__(self, compiler) -> None:
        self.compiler = compiler

    def get_compiler(self, using: str | None = None, **kwargs: Any):
        return self.compiler


def padded(ids: Sequence[int]) -> list[int]:
    """`ids` (not empty) padded to a power of two with its last id, harmless in an IN
    list: a list's length is part of a shape, and this keeps the shapes few."""
    return list(ids) + [ids[-1]] * ((1 << (len(ids) - 1).bit_length()) - len(ids))


def _size(value: int | Sequence[int]) -> int:
    return -1 if isinstance(value, int) else len(value)
