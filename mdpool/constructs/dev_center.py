"""The Dev Center and project a Managed DevOps Pool belongs to."""

from __future__ import annotations

from cdktn_provider_azurerm.dev_center import DevCenter
from cdktn_provider_azurerm.dev_center_project import DevCenterProject
from constructs import Construct

from mdpool.constructs.site import Site


class DevCenterProjectSite(Construct):
    """A Dev Center with one project; pools hang off the project."""

    def __init__(self, scope: Construct, id: str, *, dev_center_name: str, project_name: str, site: Site) -> None:
        super().__init__(scope, id)
        self.dev_center = DevCenter(self, "dev-center", name=dev_center_name, tags=site.tags, **site.placement())
        self.project = DevCenterProject(
            self, "project", name=project_name, dev_center_id=self.dev_center.id, tags=site.tags, **site.placement()
        )
