"""The base of every domain model: frozen, strict about unknown fields, finite floats.

Pydantic's own ``ValidationError`` is turned into :class:`computefin.errors.ValidationError`
at the boundary (construction, ``model_validate``, ``model_validate_json``) so that callers
catch one hierarchy and read messages of the form ``Model.field: reason (got value)``.
"""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Self, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, ValidationInfo, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from computefin.errors import FieldProblem, ValidationError

__all__ = [
    "DomainModel",
    "IdTaggedModel",
    "convert_pydantic_error",
    "docstring_summary",
    "reject_silent_coercion",
]

_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def _model_names() -> set[str]:
    """Names of every DomainModel subclass: pydantic puts them into the location of errors
    raised inside a nested model (because DomainModel defines ``__init__``)."""
    names: set[str] = set()
    todo: list[type[BaseModel]] = [DomainModel]
    while todo:
        children: list[type[BaseModel]] = todo.pop().__subclasses__()
        for child in children:
            names.add(child.__name__)
            todo.append(child)
    return names


def _location(model: str, loc: tuple[int | str, ...]) -> str:
    out = model
    skip = _model_names()
    for part in loc:
        if isinstance(part, str) and part in skip:
            continue  # a nested model's class name, not a field
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def convert_pydantic_error(exc: pydantic.ValidationError, model: str) -> ValidationError:
    """Turn a pydantic error into computefin's, naming ``Model.field`` for each problem.

    >>> from pydantic import BaseModel, PositiveInt
    >>> class Box(BaseModel):
    ...     servers: PositiveInt
    >>> try:
    ...     Box(servers=-1)
    ... except pydantic.ValidationError as exc:
    ...     print(convert_pydantic_error(exc, "Box"))
    Box.servers: Input should be greater than 0 (got -1)
    """
    problems: list[FieldProblem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, ValidationError):
            # A validator of ours raised with its own field names: keep them, under this loc.
            for problem in inner.problems:
                here = _location(model, loc)
                head, _, rest = problem.field.partition(".")
                # A nested model reports "Site.pue": keep the field path under this location.
                inner_field = rest if rest and head in _model_names() else problem.field
                field = inner_field if inner_field.startswith(here) else f"{here}.{inner_field}"
                problems.append(FieldProblem(field, problem.reason, problem.value))
            continue
        message = str(err.get("msg", "invalid"))
        for prefix in _PYDANTIC_PREFIXES:
            message = message.removeprefix(prefix)
        value = err.get("input")
        shown = None if isinstance(value, dict | list) else value
        problems.append(FieldProblem(_location(model, loc), message, shown))
    return ValidationError.from_problems(problems)


def docstring_summary(text: str) -> str:
    r"""The prose of a docstring: everything before its first doctest, on one line.

    >>> docstring_summary("A site.\n\n    Units in names.\n\n    >>> Site()\n")
    'A site. Units in names.'
    """
    prose = []
    for line in text.splitlines():
        if line.strip().startswith(">>>"):
            break
        prose.append(line.strip())
    return " ".join(" ".join(prose).split())


@cache
def _leaf_types(annotation: Any) -> frozenset[Any]:
    """The plain types inside an annotation (through Annotated, Optional, unions, tuples)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _leaf_types(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return frozenset().union(*(_leaf_types(a) for a in get_args(annotation)))
    return frozenset({annotation})


def reject_silent_coercion(value: Any, annotation: Any) -> Any:
    """Refuse the coercions pydantic's lax mode allows but a bank's data never means.

    A boolean where a number is due (``True`` -> 1.0), and a number where a date is due
    (``0`` -> 1970-01-01) are rejected; numeric strings and ISO date strings stay
    accepted, because CSV and JSON feeds carry them.

    >>> reject_silent_coercion(True, float)
    Traceback (most recent call last):
    ...
    ValueError: must be a number, not a boolean
    >>> reject_silent_coercion("2026-01-01", dt.date)
    '2026-01-01'
    """
    kinds = _leaf_types(annotation)
    numeric = bool(kinds & {int, float})
    if isinstance(value, bool) and bool not in kinds and numeric:
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, int | float) and dt.date in kinds and not numeric:
        raise ValueError("must be a date (datetime.date or ISO string YYYY-MM-DD), not a number")
    return value


class DomainModel(BaseModel):
    """Frozen pydantic model that rejects unknown fields, NaN and infinity.

    >>> class Probe(DomainModel):
    ...     gpus: int
    >>> Probe(gpus=8).gpus
    8
    >>> Probe(gpus=8, colour="green")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Probe.colour: Extra inputs are not permitted (got 'green')
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        validate_default=True,
        str_strip_whitespace=True,
        use_enum_values=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_silent_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        return reject_silent_coercion(value, cls.model_fields[info.field_name].annotation)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, the changed model is validated again like a new one.

        Pydantic's own ``model_copy(update=...)`` skips validation; a stress scenario
        built by copying must not be able to smuggle in a take-or-pay share of 7.
        """
        if not update:
            return super().model_copy(deep=deep)
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update)
        return type(self).model_validate(data)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise convert_pydantic_error(exc, type(self).__name__) from exc

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Publish the docstring's prose only: its doctest examples stay out of the schema."""
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        if isinstance(target.get("description"), str):
            target["description"] = docstring_summary(target["description"])
        return schema

    @classmethod
    def model_validate(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a Python object; errors are :class:`computefin.errors.ValidationError`."""
        try:
            return super().model_validate(*args, **kwargs)
        except pydantic.ValidationError as exc:
            raise convert_pydantic_error(exc, cls.__name__) from exc

    @classmethod
    def model_validate_json(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a JSON document; errors are :class:`computefin.errors.ValidationError`."""
        try:
            return super().model_validate_json(*args, **kwargs)
        except pydantic.ValidationError as exc:
            raise convert_pydantic_error(exc, cls.__name__) from exc


def _id_of(obj: Any) -> object:
    if isinstance(obj, dict):
        return obj.get("id")
    return getattr(obj, "id", None)


class IdTaggedModel(DomainModel):
    """A domain model with an ``id`` whose errors name the record: ``Model[<id>].field``.

    Books of instruments (loans, certificates) report a bad row by its id, so every way
    of building one - keyword arguments, ``model_validate``, ``model_validate_json`` -
    renames ``Model.field`` to ``Model[<id>].field`` (``[?]`` when the id itself is
    missing). Subclasses clean pydantic's paths further in :meth:`_rename_field`
    (nested class names, union tags).

    >>> class Lot(IdTaggedModel):
    ...     id: str
    ...     size: int
    >>> Lot(id="lot-9", size="big")
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Lot[lot-9].size: ...
    """

    @classmethod
    def _rename_field(cls, field: str) -> str:
        """Hook: a field path after the ``Model[<id>]`` tag is applied (default: as is)."""
        return field

    @classmethod
    def _tagged(cls, exc: ValidationError, item_id: object) -> ValidationError:
        name = cls.__name__
        shown = item_id.strip() if isinstance(item_id, str) and item_id.strip() else "?"
        tag = f"{name}[{shown}]"
        problems = []
        for p in exc.problems:
            field = p.field
            if field.startswith(f"{name}["):
                pass
            elif field.startswith(name):
                field = tag + field.removeprefix(name)
            else:
                field = f"{tag}.{field}"
            problems.append(FieldProblem(cls._rename_field(field), p.reason, p.value))
        return ValidationError.from_problems(problems)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self._tagged(exc, data.get("id")) from exc

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate a mapping; errors name ``Model[<id>].<field>``."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise cls._tagged(exc, _id_of(obj)) from exc

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate a JSON document; errors name ``Model[<id>].<field>``."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            try:
                item_id = _id_of(json.loads(json_data))
            except (TypeError, ValueError):
                item_id = None
            raise cls._tagged(exc, item_id) from exc
