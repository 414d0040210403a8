"""Pure value checks: a value in, the text of what is wrong with it (or None) out.

The bottom layer of the configuration code (see docs/development.md, "Layers"): these modules
import no mdpool model, so the models (`mdpool.config`), name derivation (`mdpool.naming`) and
the rules across fields (`mdpool.rules`) can all use them without importing one another.

- `formats`: forms of values Azure and the azurerm provider accept (ids, URLs, e-mail, GUID);
- `names`: each resource type's name rule (length, characters) with its source;
- `patterns`: the schema's regular expressions in plain language;
- `architecture`: what a VM size says about its CPU architecture (and its temporary disk);
- `regions`: Azure's regions, their display names, the closest one to a typo.
"""
