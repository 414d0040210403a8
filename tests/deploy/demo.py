"""Run the deploy tests' scenario once and print what a user sees (the run shown in docs/deploy.md, "A real run").

    .venv/bin/python -m tests.deploy.demo

The stand-in stacks (terraform_data, same names and outputs as the real ones) are applied by the real
terraform binary; the images are built by the real build flow and Azure SDK clients against the
loopback ARM stand-in. Three runs: from nothing, again with no change, and with the gallery renamed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rich.console import Console

from mdpool.loader import load_config
from mdpool.deploy.errors import DeployError
from mdpool.deploy.images import ImageBuildStage
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from mdpool.deploy.terraform import Terraform
from mdpool.imagebuild.builder import BuildOptions, Connection
from mdpool.node import use_bundled_node
from tests.deploy.conftest import CONFIG, Workspace
from tests.deploy.standin_stacks import StandInEnvironment, synthesize_standins
from tests.deploy.test_stages import STANDIN_POLICY
from tests.support.arm_standin import ArmStandIn


def main() -> None:
    use_bundled_node()
    console = Console(width=110, color_system=None, highlight=False)
    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory(prefix="mdpool-demo-") as tmp, ArmStandIn(build_duration=1.0) as arm:
        root = Path(tmp)
        env = StandInEnvironment.from_config(config)
        variants = {
            "base": synthesize_standins(env, root / "variants/base/cdktf.out"),
            "gallery-renamed": synthesize_standins(
                StandInEnvironment(**{**env.__dict__, "gallery": "gal_jhp_dev_weu_2"}), root / "variants/renamed/cdktf.out"
            ),
        }
        workspace = Workspace(root / "work", variants)
        rc = root / "terraformrc"
        rc.write_text("")
        terraform = Terraform.create(
            echo=lambda line: console.print(line, markup=False, soft_wrap=True),
            base_env={**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_PLUGIN_CACHE_DIR": str(root / "cache")},
        )

        def deploy() -> None:
            builds = ImageBuildStage(
                config,
                connection=Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs()),
                options=BuildOptions(poll_interval=0.25),
                console=console,
            )
            try:
                Deployment(SynthOutput.load(workspace.out), terraform, builds, console=console, policy=STANDIN_POLICY).deploy()
            except DeployError as error:
                for line in error.lines:
                    console.print(line, markup=False, soft_wrap=True)

        console.rule("mdpool deploy --auto-approve   (from nothing)")
        deploy()
        console.rule("mdpool deploy --auto-approve   (again, nothing changed)")
        deploy()
        console.rule("mdpool deploy --auto-approve   (the gallery renamed in the config)")
        workspace.use("gallery-renamed")
        deploy()


if __name__ == "__main__":
    main()
