"""`mdpool doctor`: what makes a first deploy fail, checked before anything is created.

Each check is a small module in `mdpool.doctor.checks` that asks one documented API (named in a
comment beside the call) and answers one row: ok, warning (not checked, or Azure's behaviour is
unknown) or failed, with the fix in one line. `runner.run_checks` runs the checks that apply to a
config; `output` prints the table or the JSON for CI. Nothing here changes Azure: reads only
(plus the name-availability POST, which is a read too).

Heavy modules (azure-core, azure-identity, the ARM client) load inside the functions that call
Azure, so importing this package stays as cheap as `mdpool validate`.
"""
