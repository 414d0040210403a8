"""The smoke pipelines: queued on a pool's canary and watched to the end, through the Azure DevOps Runs API.

- Runs - Run Pipeline: `POST {org}/{project}/_apis/pipelines/{pipelineId}/runs?api-version=7.1` with
  `{"templateParameters": {<alias_parameter>: "<image>-canary"}}`; the pipeline passes the parameter to
  its pool demand `ImageOverride -equals ...` (learn.microsoft.com/rest/api/azure/devops/pipelines/runs/run-pipeline;
  learn.microsoft.com/azure/devops/managed-devops-pools/demands, "ImageOverride").
- Runs - Get: `GET .../pipelines/{pipelineId}/runs/{runId}?api-version=7.1`: `state` inProgress |
  canceling | completed, `result` succeeded | failed | canceled | unknown, `_links.web.href` the page
  people open (learn.microsoft.com/rest/api/azure/devops/pipelines/runs/get).
- Pipelines - List (a pipeline named, not numbered): `GET {org}/{project}/_apis/pipelines?api-version=7.1`.

Signed in with an Entra token for Azure DevOps (audience 499b84ac-..., as `mdpool doctor` asks it), no PAT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence
from urllib.parse import quote

from mdpool.deploy.errors import DeployError
from mdpool.rollout.state import SmokeRun

if TYPE_CHECKING:
    from mdpool.config import SmokePipeline
    from mdpool.doctor.http import Endpoints, TokenClient

RUNS_API = "7.1"


@dataclass(frozen=True)
class Backoff:
    """Between two looks at the runs: `first` seconds, doubling up to `most` (bounded: a long smoke run
    costs a few dozen requests, a short one is noticed quickly)."""

    first: float = 5.0
    most: float = 60.0

    def pauses(self):
        pause = self.first
        while True:
            yield pause
            pause = min(pause * 2, self.most)


class SmokeRuns:
    """Queue and watch smoke runs in each organization (the URL's host replaced by MDPOOL_DEVOPS_ENDPOINT when set)."""

    def __init__(
        self,
        devops: "TokenClient",
        endpoints: "Endpoints",
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff = Backoff(),
    ) -> None:
        self.devops, self.endpoints = devops, endpoints
        self.sleep, self.clock, self.backoff = sleep, clock, backoff

    def _project_url(self, organization_url: str, project: str) -> str:
        return f"{self.endpoints.devops_url(organization_url)}/{quote(project, safe='')}"

    def pipeline_id(self, smoke: "SmokePipeline") -> int:
        if isinstance(smoke.pipeline, int):
            return smoke.pipeline
        url = f"{self._project_url(smoke.organization_url(), smoke.project)}/_apis/pipelines"
        reply = self.devops.get(url, {"api-version": RUNS_API, "$top": "1000"})
        if not reply.ok:
            raise DeployError(f"smoke pipeline {smoke.pipeline!r}: cannot list the pipelines of {smoke.project}: {reply.describe()}")
        for item in (reply.body or {}).get("value") or []:
            if str(item.get("name", "")).lower() == smoke.pipeline.lower():
                return int(item["id"])
        raise DeployError(
            f"smoke pipeline {smoke.pipeline!r}: no pipeline of that name in {smoke.organization_url()}/{smoke.project}; "
            f"correct rollout.smoke[].pipeline (a name or the id from the pipeline's URL, definitionId=...)"
        )

    def queue(self, smoke: "SmokePipeline", alias: str) -> SmokeRun:
        """Queue one run with the canary's alias as its template parameter."""
        pipeline_id = self.pipeline_id(smoke)
        url = f"{self._project_url(smoke.organization_url(), smoke.project)}/_apis/pipelines/{pipeline_id}/runs"
        reply = self.devops.send(
            "POST", url, {"api-version": RUNS_API}, {"templateParameters": {smoke.alias_parameter: alias}}
        )
        if not reply.ok:
            raise DeployError(
                f"smoke pipeline {pipeline_id} in {smoke.organization_url()}/{smoke.project}: not queued: {reply.describe()}; "
                f"the pipeline needs a `{smoke.alias_parameter}` parameter and the deploying identity may queue builds"
            )
        return _run(smoke.organization_url(), smoke.project, pipeline_id, reply.body or {})

    def refresh(self, run: SmokeRun) -> SmokeRun:
        url = f"{self._project_url(run.organization, run.project)}/_apis/pipelines/{run.pipeline_id}/runs/{run.run_id}"
        reply = self.devops.get(url, {"api-version": RUNS_API})
        if not reply.ok:
            raise DeployError(f"smoke run {run.url}: cannot read its state: {reply.describe()}")
        return _run(run.organization, run.project, run.pipeline_id, reply.body or {}, fallback_url=run.url)

    def watch(self, runs: Sequence[SmokeRun], timeout_seconds: float, on_change: Callable[[SmokeRun], None]) -> list[SmokeRun]:
        """Look at every unfinished run until all have finished or `timeout_seconds` passed (then they stay unfinished)."""
        current = list(runs)
        deadline = self.clock() + timeout_seconds
        pauses = self.backoff.pauses()
        while True:
            for index, run in enumerate(current):
                if run.finished:
                    continue
                fresh = self.refresh(run)
                if (fresh.state, fresh.result) != (run.state, run.result):
                    current[index] = fresh
                    on_change(fresh)
            if all(run.finished for run in current) or self.clock() >= deadline:
                return current
            self.sleep(min(next(pauses), max(0.0, deadline - self.clock())))


def _run(organization: str, project: str, pipeline_id: int, body: dict, fallback_url: str = "") -> SmokeRun:
    web = ((body.get("_links") or {}).get("web") or {}).get("href") or fallback_url or str(body.get("url", ""))
    return SmokeRun(
        organization=organization,
        project=project,
        pipeline_id=pipeline_id,
        run_id=int(body.get("id", 0)),
        url=web,
        state=str(body.get("state") or "unknown"),
        result=body.get("result"),
    )
