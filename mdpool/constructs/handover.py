"""The blocks that hand a resource over from one address to another without replacing it.

`removed { lifecycle { destroy = false } }` forgets the former address (Terraform >= 1.7) and an
`import` block adopts the object at the new address by its id (>= 1.5; `for_each` on import >= 1.7).
The import is switched by a variable (false by default), because Terraform has no condition on what
a state holds: mdpool sets it only when the state holds the former address (mdpool.deploy.migration).
Only cdktn core here, so the stand-in tests emit the very same blocks around a `terraform_data`.
"""

from __future__ import annotations

from cdktn import Fn, TerraformStack, TerraformVariable

from mdpool.terraform_literal import expression_string


def emit_hand_over(stack: TerraformStack, *, variable: str, former: str, to: str, import_id: str, description: str) -> None:
    """Forget `former` (an address) without destroying it; import `import_id` into `to` when `variable` is true.

    `import_id` is escaped for Terraform (mdpool.terraform_literal); it goes into an expression here.
    """
    wanted = TerraformVariable(stack, variable, type="bool", default=False, description=description)
    stack.add_override("removed", [{"from": former, "lifecycle": {"destroy": False}}])
    stack.add_override(
        "import",
        [
            {
                "for_each": Fn.toset(Fn.conditional(wanted.boolean_value, [expression_string(import_id)], [])),
                "to": to,
                "id": "${each.value}",
            }
        ],
    )
