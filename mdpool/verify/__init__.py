"""`mdpool verify`: whether the deployed pool really serves pipelines, not only whether Azure says Succeeded.

One row per check, printed as `mdpool doctor` prints its rows (mdpool.doctor.model / output, run by
mdpool.doctor.runner): the Azure DevOps agent pool exists, it has a queue in every project the config
names (and open access holds where asked), the organization's self-hosted parallel jobs cover what
the pools may run at once, the pool reported no agent provisioning errors in the last hour, and its
machines run the image versions the config (and a running canary) expect. Reads only.
"""

from mdpool.verify.checks import devops_pool, parallel_jobs, pool_versions, provisioning

CHECKS = (devops_pool, parallel_jobs, provisioning, pool_versions)
