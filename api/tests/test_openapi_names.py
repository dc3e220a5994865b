"""Every schema of /api/v1/openapi.json is one class: django-ninja names a
component after its class, and of two classes with one name (appointments'
and orders' ``Conflict`` were) the last one read describes both, so the
appointments' 409 was documented with the order's fields."""

import types
import typing
from collections import defaultdict

from pydantic import BaseModel

from api.urls import api


def _models(annotation) -> set[type[BaseModel]]:
    """The pydantic models a field's type names (list[X], X | None, …)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation}
    found = set()
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found |= _models(argument)
    return found


def _api_schemas() -> dict[str, set[type[BaseModel]]]:
    """Name -> the project's classes of that name the routes read or answer
    with, nested ones included (ninja's own wrappers are walked through)."""
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                todo += [model for model in operation.response_models.values() if model]
                todo += list(operation.models)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            todo += _models(field.annotation)
    named = defaultdict(set)
    for model in seen:
        if model.__module__.startswith("api."):
            named[model.__name__].add(model)
    return named


def test_no_two_api_schemas_share_a_name():
    named = _api_schemas()
    assert {"OrderConflictOut", "AppointmentConflictOut", "Detail"} <= set(named)
    assert {name: models for name, models in named.items() if len(models) > 1} == {}


def test_each_component_has_the_fields_of_its_class(client):
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name, (model,) in _api_schemas().items():
        if name in components:
            fields = {field.alias or key for key, field in model.model_fields.items()}
            assert set(components[name].get("properties", {})) == fields, name


def test_each_409_names_its_resources_conflict(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    conflicts = {
        (method, path): operation["responses"]["409"]["content"]["application/json"]["schema"][
            "$ref"
        ].rsplit("/", 1)[1]
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "409" in operation["responses"]
    }
    assert conflicts[("post", "/api/v1/appointments")] == "AppointmentConflictOut"
    assert conflicts[("patch", "/api/v1/orders/{order_id}")] == "OrderConflictOut"
    assert conflicts[("post", "/api/v1/customers")] == "CustomerConflictOut"
