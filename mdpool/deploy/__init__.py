"""Staged deploy: run Terraform per synthesized stack and the image builds between them.

`terraform` runs the real binary, `plan_summary` reads its plans, `orchestrator` runs the stages
(gallery stack -> image builds -> pool stack) and `cli` is `mdpool plan` / `mdpool deploy`.
"""
