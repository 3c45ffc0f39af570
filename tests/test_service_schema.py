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


def test_no_server_errors_on_the_write_endpoints(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The import and save-framework endpoints (writes on, with the token) on a fresh store."""
    from nqpf.api import create_app

    run_dir, _ = service_run(data_dir)
    tmp = tmp_path_factory.mktemp("schema-writes")
    app = create_app(run_dir, tmp / "w.duckdb", allow_writes=True, token="t0k", frameworks_dir=tmp / "fw")
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations() if "/admin/" in r.ok().path]
    assert {o.path for o in ops} >= {"/api/v1/admin/import", "/api/v1/admin/frameworks"}
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": "Bearer t0k"}
            case.call_and_validate(checks=[not_a_server_error])

        check()
