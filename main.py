"""Entry point for `cdktn synth` (see cdktf.json): synthesize the config `mdpool synth` would read
($MDPOOL_CONFIG, else ./mdpool.yaml, else ./config/example.yaml).

The CDK Terrain CLI runs this with CDKTF_OUTDIR set; `mdpool synth` is the same with a summary.
"""

import os
import sys
from pathlib import Path

from mdpool.config_file import NOT_FOUND, discover_config
from mdpool.loader import load_config
from mdpool.problems import InputError


def main() -> int:
    path = discover_config()
    if path is None:
        print(NOT_FOUND, file=sys.stderr)
        return 1
    try:
        config = load_config(path)
    except InputError as error:
        print(error, file=sys.stderr)
        return 1
    from mdpool.app import build_app
    from mdpool.imagebuild.inputs import image_inputs, record_image_inputs
    from mdpool.output_folder import mark_manifest
    from mdpool.rollout.overlay import synth_config

    out = os.environ.get("CDKTF_OUTDIR", "cdktf.out")
    config = synth_config(config, out)  # a running canary included, as `mdpool synth` does
    build_app(config, out).synth()
    mark_manifest(Path(out))  # as `mdpool synth`: the output is recognisably mdpool's to replace later
    record_image_inputs(Path(out) / "manifest.json", image_inputs(config))  # what `mdpool review` compares
    return 0


if __name__ == "__main__":
    sys.exit(main())
