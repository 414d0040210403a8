"""Config values reach Terraform as the text they are, never as templates.

Terraform reads every string of a `*.tf.json` argument (and every key of an object value, such as
tags or the pool's body) as a template: `${...}` interpolates and `%{...}` is a directive, so a tag
`${file("/etc/hostname")}` would be evaluated at plan time. `$${` and `%%{` are the template's own
escapes for the literal text (developer.hashicorp.com/terraform/language/syntax/json, "Expression
Mapping": "... literal ${ ... $${"). `build_app` hands the stacks `literal_config(config)`, a copy in
which every string is escaped once; the references mdpool builds itself (cdktn tokens, `${each.value}`)
are added after that, by the constructs, and stay live. Anything else (`$HOME`, `100%`, `$ {`) is
left as it is: a template changes only `${` and `%{`.

Where a value goes into an expression cdktn writes (`Fn.contains(...)`), cdktn escapes `${` of the
string itself (cdktn lib/tfExpression.js escapeString), not `%{`: `expression_string` gives it the
text with only `%{` escaped.

Read literally by Terraform, not as a template: a backend block's settings (and a variable's
default, which mdpool never takes from a config). The backend settings also go into the pool stack's
`terraform_remote_state`, which is evaluated, so no escape fits both: mdpool.rules.environment
refuses `${` and `%{` in `state:`, and escaping leaves those values as they are. It also refuses
cdktn's own reference marker (`${TfToken[`) in any config string: cdktn would resolve it, escaped or not.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import BaseModel

from mdpool.config import EnvironmentConfig

TEMPLATE_STARTS = ("${", "%{")
"""What opens an interpolation or a directive in a Terraform template."""

T = TypeVar("T")


def escape(text: str) -> str:
    """`text` as a Terraform JSON string that evaluates to `text` itself."""
    if not any(start in text for start in TEMPLATE_STARTS):
        return text  # the same object: a value with nothing to escape stays untouched
    return text.replace("${", "$${").replace("%{", "%%{")


def expression_string(escaped: str) -> str:
    """An escaped text as cdktn wants a string argument of a function: cdktn escapes `${` itself."""
    return escaped.replace("$${", "${")


def literal(value: T) -> T:
    """`value` with every string in it escaped: models, dataclasses, lists, tuples, sets, dict keys and values."""
    result: Any
    if isinstance(value, str):
        result = escape(value)
    elif isinstance(value, BaseModel):
        # BaseModel's own copy (no validation: the values were checked as the file wrote them)
        result = BaseModel.model_copy(value, update={name: literal(getattr(value, name)) for name in type(value).model_fields})
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        result = dataclasses.replace(
            value, **{field.name: literal(getattr(value, field.name)) for field in dataclasses.fields(value) if field.init}
        )
    elif isinstance(value, dict):
        result = {literal(key): literal(item) for key, item in value.items()}
    elif isinstance(value, (list, tuple, set, frozenset)):
        result = type(value)(literal(item) for item in value)
    else:
        result = value  # numbers, booleans, None, paths: nothing Terraform would evaluate
    return result


def literal_config(config: EnvironmentConfig) -> EnvironmentConfig:
    """The config as the stacks write it into Terraform JSON: every string escaped, names and pools too.

    The pools (with their `pool_defaults:` applied) and the derived names are the loaded file's,
    escaped like the rest; the pools' own keys (stack names, never written as values) stay.
    """
    copy = literal(config)
    copy._pools = [literal(pool) for pool in config.pools]
    copy._names = literal(config.names)
    return copy
