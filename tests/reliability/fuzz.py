"""Fuzz the engine from its own OpenAPI document (schemathesis generates the requests), for
the test and ``bench/reliability.py fuzz``: no 5xx, every error in the error shape, and every
answer as the document says (schemathesis' conformance checks: documented status and content
type, a schema-violating request refused)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    status_code_conformance,
)

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
#: A staff session must not end itself half-way through the run.
SKIP_FOR_STAFF = {("POST", "/api/v1/auth/logout")}
#: Not checked: ``positive_data_acceptance`` (a schema-valid body naming no service of the
#: branch is a 422 ``unknown_service`` by the contract: the document cannot list the codes).
CONFORMANCE = [status_code_conformance, content_type_conformance, negative_data_rejection]


@dataclass
class FuzzReport:
    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    bad_shapes: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)
    operations: int = 0


ERROR_KEYS = {"code", "message", "retry_after_s"}


def error_shape_problem(status: int, body: Any) -> str | None:
    """Why an error body is not ``{"error": {"code": snake_case, "message": text}}``."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return "not {'error': …}"
    err = body["error"]
    # retry_after_s: how long a lockout lasts (docs/api.md, "Errors added")
    if not isinstance(err, dict) or not {"code", "message"} <= set(err) <= ERROR_KEYS:
        return "error has other keys than code, message (and retry_after_s)"
    if not isinstance(err.get("retry_after_s", 0), int):
        return "retry_after_s is not a number of seconds"
    if not isinstance(err["code"], str) or not CODE.match(err["code"]):
        return f"code {err['code']!r} is not snake_case"
    if not isinstance(err["message"], str) or not err["message"]:
        return "empty message"
    return None


def fuzz(base_url: str, tokens: dict[str, str], max_examples: int) -> FuzzReport:
    """Every operation, with each role's token, ``max_examples`` generated requests each."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    report = FuzzReport()
    for result in schema.get_all_operations():
        op = result.ok()  # type: ignore[union-attr]  # the engine's own document is valid
        report.operations += 1
        for role, token in tokens.items():
            if role in ("lobby", "admin", "teller") and (op.method.upper(), op.path) in (
                SKIP_FOR_STAFF
            ):
                continue
            _fuzz_operation(op, base_url, role, token, max_examples, report)
    return report


def _fuzz_operation(
    op: Any, base_url: str, role: str, token: str, max_examples: int, report: FuzzReport
) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    cases = st.one_of(
        op.as_strategy(generation_mode=GenerationMode.POSITIVE),
        op.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        report.requests += 1
        report.by_status[response.status_code] += 1
        where = f"{role} {op.method.upper()} {case.formatted_path}"
        if response.status_code >= 500:
            report.server_errors.append(f"{where}: {response.status_code} {response.text[:200]}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            problem = error_shape_problem(response.status_code, body)
            if problem:
                report.bad_shapes.append(f"{where}: {response.status_code} {problem}")
        try:
            case.validate_response(response, checks=CONFORMANCE, headers=headers)
        except FailureGroup as failures:  # each check that failed
            for failure in failures.exceptions:
                text = " ".join(f"{failure.title}: {failure.message}".split())
                report.nonconforming.append(f"{where}: {response.status_code} {text[:200]}")

    run()
