"""azure-core's retry policy, minus the blind re-send of requests that change something.

azure-core's `RetryPolicy` (azure/core/pipeline/policies/_retry.py) retries a request on 408, 429,
500, 502, 503 and 504: GET, PUT and DELETE by its method allow-list, and POST and PATCH on 500,
503 and 504 whatever the allow-list says (`_is_method_retryable`); it also retries any request
whose response carries Retry-After, and re-sends after a lost response (a read timeout). For the
two calls of an image build that change Azure, that is wrong: a 504 on `PUT imageTemplates/{name}`
or `POST .../run` often means the gateway gave up while the service went on, so a re-send finds the
template already there (409 Conflict: templates cannot be updated) or starts a second build.

`NoResendRetryPolicy` keeps every retry azure-core makes, with one exception: a PUT or POST is not
sent again after a 5xx, a 408 or a lost response. Those surface to mdpool's builder, which asks Azure
whether the create or the run happened before it tries again (`builder._ImageBuild.create/start`).
A 429 is still retried after its Retry-After: throttling means the request was not processed.
Imported only by the builder (it needs azure-core, which `mdpool validate` never loads).
"""

from __future__ import annotations

from typing import Any

from azure.core.pipeline.policies import RetryPolicy

STATE_CHANGING_METHODS = frozenset({"PUT", "POST", "PATCH"})
THROTTLED = 429


class NoResendRetryPolicy(RetryPolicy):
    """RetryPolicy that leaves 5xx, 408 and lost responses of PUT/POST/PATCH to the caller."""

    def is_retry(self, settings: dict[str, Any], response: Any) -> bool:
        request = response.http_request
        if request.method.upper() in STATE_CHANGING_METHODS and response.http_response.status_code != THROTTLED:
            return False
        return super().is_retry(settings, response)

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        # Called without a response when the request failed in transport (connection reset, read
        # timeout): a PUT/POST may have reached the service, so it is not sent again blindly.
        if request.method.upper() in STATE_CHANGING_METHODS and response is None:
            return False
        return super()._is_method_retryable(settings, request, response=response)
