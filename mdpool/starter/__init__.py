"""`mdpool init`: a starter repository of one's own (config, image definitions, pipelines, schemas, hooks).

The starter files ship in `templates/` (package data, in the wheel). `files` renders and checks them,
`command` is the CLI edge (flags, prompts on a terminal, refusing an occupied folder).
"""
