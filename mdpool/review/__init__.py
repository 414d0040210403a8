"""`mdpool review`: what a change to the config (or the code) will change in Azure, in words.

Compares two synthesized outputs (`manifest.json` + `stacks/<stack>/cdk.tf.json`) block by block
and writes a Markdown summary for a pull request: per stack the resources added, removed and
changed, the attributes that differ, what Terraform will replace, and the pool's schedule, images
and sizing in plain words. Pure data in, text out: it works offline and needs no Terraform.
"""
