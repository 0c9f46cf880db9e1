"""Fuzzing: schemathesis sends generated requests to every operation of the app's OpenAPI schema as an admin and
no answer may be a 5xx. Bounded: a fixed number of examples per operation, derandomised, well within two minutes.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy.orm import Session

from inventory import auth
from inventory.db import make_engine
from kho import db as kho_db
from kho.app import create_app
from kho.settings import Settings
from tests.inventory.conftest import seed

EXAMPLES_PER_OPERATION = 25  # per operation and per mode (valid and invalid requests)
# Health checks answer 503 by design where no collector runs in the process (the web app alone): that is their
# answer, not a failure. Everything else must stay below 500.
HEALTH_PATHS = frozenset({"/healthz", "/metrics"})
_TOKEN: dict[str, str] = {}
_APP: dict[str, FastAPI] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """The app on a seeded SQLite registry, its schema, and an admin token for the requests."""
    from argon2 import PasswordHasher

    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'kho.db'}"
    kho_db.upgrade(url)
    engine = make_engine(url)
    hasher = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        with Session(engine) as s:
            seed(s)
            _TOKEN["admin"] = auth.create_token(s, "fuzz-admin", "admin")
            s.commit()
    finally:
        auth._hasher = hasher
    engine.dispose()
    settings_ = Settings(state_dir=tmp / "state", database={"url": url}, web={"secret_key": "fuzz-key-0123456789"})
    app = create_app(settings_)
    _APP["app"] = app
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)
    app.state.engine.dispose()


def _send(client: TestClient, case: schemathesis.Case, token: str) -> httpx.Response:
    """The case sent through the app's TestClient (schemathesis' own ASGI transport needs an older urllib3)."""
    kw = case.as_transport_kwargs(base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    data = kw.pop("data", None)
    if isinstance(data, bytes | str):
        kw["content"] = data
    elif data is not None:
        kw["data"] = data
    cookies = kw.pop("cookies", None) or {}
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, str(value))
    return client.request(**kw)


def _fuzz(
    client: TestClient, operation: schemathesis.APIOperation, mode: GenerationMode, token: str, failures: list[str]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = _send(client, case, token)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {case.as_curl_command()}\n{response.text[:300]}")

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, f"no valid request for {operation.label}"  # nothing can be wrong


@pytest.mark.slow  # about a minute: the full suite runs it, `make check` does not
def test_no_generated_request_gives_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 40, "every router's operations are in the schema"
    with TestClient(_APP["app"], follow_redirects=False, raise_server_exceptions=False) as client:
        for operation in operations:
            if operation.path in HEALTH_PATHS:
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(client, operation, mode, _TOKEN["admin"], failures)
    assert not failures, f"{len(failures)} requests got a 5xx:\n" + "\n".join(failures[:20])
