"""One module per check. Each has NAME, CHEAP (run before every deploy), applies(cfg) and run(ctx).

`run` returns its rows (usually one); it may raise mdpool.doctor.http.Unchecked when Azure could not
be asked, which the runner reports as a warning.
"""
