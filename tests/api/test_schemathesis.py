"""Schemathesis against the live server's `/openapi.json`: generated requests for every
operation (bounded and derandomized), no 5xx, and every answer as the document says."""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance,  # noqa: E402
                                               response_schema_conformance, status_code_conformance)

from tui_notifier.api.app import ApiOptions  # noqa: E402
from tui_notifier.core import clients, dispatches, tokens  # noqa: E402

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_options() -> ApiOptions:
    return ApiOptions(auth=True)


def test_every_operation_survives_generated_requests_and_answers_as_documented(api):
    token = tokens.create_token("schemathesis")[1]
    clients.add_client("79001234567", tag="vip")
    dispatches.create_dispatch("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", "seeded")
    schema = schemathesis.openapi.from_url(f"{api.base}/openapi.json")
    headers = {"Authorization": f"Token {token}"}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def exercise(case):
            response = case.call(base_url=api.base, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
