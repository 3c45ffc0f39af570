"""schemathesis against the OpenAPI schema: generated requests on every endpoint, no 5xx.

A bounded number of examples per operation keeps the run short on a 2-core CI machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from service_support import service_run


@pytest.fixture(scope="module")
def api_schema(data_dir: Path) -> schemathesis.BaseSchema:
    from nqpf.api import create_app

    run_dir, store = service_run(data_dir)
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(run_dir, store))


def test_no_server_errors(api_schema: schemathesis.BaseSchema) -> None:
    ops = [r.ok() for r in api_schema.get_all_operations()]
    assert len(ops) >= 15
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        check()
