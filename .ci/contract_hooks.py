"""Schemathesis hooks for .ci/contract.

A client sends a fresh Idempotency-Key with each new request and the same one only to retry
it; the generator draws keys from a small space and reuses them across different requests,
which the service rightly refuses (422 idempotency-key-reused). A valid key is replaced by a
fresh one; an invalid key (a negative test) is left as drawn.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and VALID_KEY.match(headers[name]):
            headers[name] = str(uuid.uuid4())
