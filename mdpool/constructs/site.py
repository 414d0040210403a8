"""Where resources go: a resource group (created here, or one that exists), location and tags."""

from __future__ import annotations

from typing import Any, Mapping

from cdktn_provider_azurerm.resource_group import ResourceGroup
from constructs import Construct


class Site(Construct):
    """A resource group to place resources in, plus the location and tags they all share.

    With `create=True` the group is a resource of this stack; otherwise it must exist already and
    only its name and id are used.
    """

    def __init__(
        self, scope: Construct, id: str, *, name: str, location: str, tags: Mapping[str, str], subscription_id: str, create: bool
    ) -> None:
        super().__init__(scope, id)
        self.location = location
        self.tags = dict(tags)
        if create:
            self.resource: ResourceGroup | None = ResourceGroup(self, "group", name=name, location=location, tags=self.tags)
            self.name, self.id = self.resource.name, self.resource.id
        else:
            self.resource = None
            self.name, self.id = name, f"/subscriptions/{subscription_id}/resourceGroups/{name}"

    def placement(self) -> dict[str, Any]:  # Any: splatted into jsii bindings of many signatures
        """The keyword arguments every resource in this site takes."""
        return {"resource_group_name": self.name, "location": self.location}
