"""The OpenAPI 3.1 document: shipped in the package, served at /openapi.json, true to the SPEC, and a
schemathesis run checking the sandbox's answers against it (status codes, schemas, headers)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import httpx
import iso4217
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payout_desk.sandbox.app import openapi_document
from payout_desk.sandbox.client import SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox

SHIPPED = resources.files("payout_desk.sandbox").joinpath("openapi.json")
schema = schemathesis.openapi.from_path(str(SHIPPED))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_document_is_served_and_is_openapi_3_1(sandbox_server: EmbeddedSandbox) -> None:
    served = httpx.get(f"{sandbox_server.base_url}/openapi.json")
    assert served.status_code == 200
    assert served.json() == openapi_document()
    assert openapi_document()["openapi"].startswith("3.1.")
    assert set(openapi_document()["paths"]) == {"/api/payments", "/api/payments/{id}"}


def test_the_document_lists_the_active_currencies() -> None:
    currency: dict[str, Any] = openapi_document()["components"]["schemas"]["PaymentCreate"]["properties"]["currency"]
    assert sorted(currency["enum"]) == sorted(c.code for c in iso4217.Currency)


def test_the_document_names_every_error_status_of_the_spec() -> None:
    create = openapi_document()["paths"]["/api/payments"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "409", "422", "429", "5XX"} <= set(create)
    get = openapi_document()["paths"]["/api/payments/{id}"]["get"]["responses"]
    assert {"200", "401", "404"} <= set(get)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_sandbox_conforms_to_its_openapi_document(
    case: Any, sandbox_server: EmbeddedSandbox, merchant_token: str
) -> None:
    case.call_and_validate(
        base_url=sandbox_server.base_url,
        headers={"Authorization": f"Bearer {merchant_token}"},
        checks=CHECKS,
    )


def test_create_then_get_workflows_conform(sandbox_server: EmbeddedSandbox) -> None:
    """Stateful run following the document's links: GET the payments that POST created.

    Each scenario runs as a brand-new merchant, so a replayed scenario meets no earlier keys or
    externalIds and behaves the same (Hypothesis insists on that)."""
    control = SandboxControl(sandbox_server.base_url)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.headers = {"Authorization": f"Bearer {control.mint_token()}"}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": sandbox_server.base_url, "headers": self.headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=15, stateful_step_count=4, deadline=None, suppress_health_check=list(HealthCheck)
        )
    )
