"""Azure Pipelines for mdpool: YAML rendered from the config, and the pull-request comment.

- `settings`: what the pipelines need, derived from the environment configuration;
- `render`: the jinja2 templates in `templates/` -> `pipelines/*.yml`;
- `pr_comment`: post `mdpool review`'s summary on the pull request (Azure DevOps REST API);
- `command`: `mdpool pipeline render [--check]` and `mdpool pipeline comment`.
"""
