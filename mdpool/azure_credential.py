"""The Azure credential, checked once before anything slow: a missing `az` or an expired sign-in is one
line that names the credential and what to do, not a traceback or one failure per image.

azure.identity's DefaultAzureCredential (honouring AZURE_TOKEN_CREDENTIALS, e.g. AzureCliCredential)
raises CredentialUnavailableError when no credential can even try (no `az` on PATH, not signed in)
and ClientAuthenticationError when one tried and was refused (azure-identity's
_credentials/default.py, DefaultAzureCredential.get_token; azure-core's exceptions.py).
Imported only by the commands that reach Azure: `mdpool validate` never loads the Azure SDK.
"""

from __future__ import annotations

import logging
from typing import Any

# The scope every ARM call asks for: azure-mgmt-imagebuilder's _configuration.py,
# ImageBuilderClientConfiguration credential_scopes default.
ARM_SCOPE = "https://management.azure.com/.default"
WHAT_TO_DO = (
    "sign in with `az login` (in an Azure Pipeline: an AzureCLI@2 task with the service connection), "
    "or set AZURE_TOKEN_CREDENTIALS to the credential to use"
)
REASON_LIMIT = 400  # azure-identity's reasons can run to pages (one per credential tried): the line stays readable
_NOISE = ("DefaultAzureCredential failed", "Attempted credentials", "To mitigate this issue", "troubleshoot")


class CredentialProblem(Exception):
    """No usable Azure credential; the message is one line with what to do."""


def _reason(error: Exception) -> str:
    """azure-identity's multi-line message as one line: the lines that say what each credential found."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    kept = [line for line in lines if not any(noise in line for noise in _NOISE)] or lines[:1]
    return shortened("; ".join(kept), REASON_LIMIT)


def shortened(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters between words, never inside one ("..." says it was cut).

    A first word longer than the limit (a URL, a path) is kept whole: cut, it would point nowhere.
    """
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 3)
    if cut <= 0:
        first, _, rest = text.partition(" ")
        return first + (" ..." if rest else "")
    return text[:cut].rstrip(" ;,") + " ..."


def checked_credential(credential: Any = None) -> Any:
    """`credential` (default: DefaultAzureCredential) once it has given an ARM token; else CredentialProblem."""
    from azure.core.exceptions import (
        ClientAuthenticationError,  # CredentialUnavailableError is one
    )
    from azure.identity import DefaultAzureCredential

    # azure-identity logs the same failure as a multi-line warning; the one line below says it
    logging.getLogger("azure.identity").addHandler(logging.NullHandler())
    logging.getLogger("azure.identity").propagate = False
    credential = credential or DefaultAzureCredential()
    try:
        credential.get_token(ARM_SCOPE)
    except ClientAuthenticationError as error:
        name = type(credential).__name__
        raise CredentialProblem(f"Azure credential {name} gave no token ({_reason(error)}); {WHAT_TO_DO}") from None
    return credential
