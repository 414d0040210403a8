"""`mdpool rollout IMAGE`: a new image version reaches the pools through a canary and a smoke pipeline.

- `state`: the rollout's state machine, persisted atomically beside the Terraform state;
- `overlay`: what the pool stack synthesizes while a canary runs (the previous version pinned, the
  new one as `<image>-canary`, buffer 0);
- `smoke`: the smoke pipelines, queued and watched through the Azure DevOps Runs API;
- `runner`: the steps, one per phase, each safe to run again;
- `command`: the CLI.

docs/rollout.md draws the state machine.
"""
