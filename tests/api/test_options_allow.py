"""OPTIONS answers, for every path, with every method the OpenAPI document lists for it."""

from __future__ import annotations

import re
import uuid

import httpx
from litestar import Litestar

from tests.conftest import MakeUser

METHODS = {"get", "put", "post", "delete", "patch", "head", "trace"}


async def test_allow_lists_every_method_of_each_path(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Some controllers guard OPTIONS like their other methods: ask as someone they admit.
    headers = (await make_user("admin")).headers
    wrong = []
    answered = 0
    for path, item in app.openapi_schema.to_schema()["paths"].items():
        documented = {m.upper() for m in item if m in METHODS} | {"OPTIONS"}
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = await client.options(url, headers=headers)
        if response.status_code != 204:
            # A controller guarded for other roles refuses before OPTIONS answers.
            continue
        answered += 1
        allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
        if allowed - {"HEAD"} != documented - {"HEAD"}:
            wrong.append(f"{path}: Allow {sorted(allowed)}, document {sorted(documented)}")
    assert answered > 40
    assert not wrong, "\n".join(wrong)
