"""One shape for every kind of run (eval sets, scans, ...): what a kind is, how a run goes, its sidecars.

`kind.RunKind` describes a kind; `kinds` holds the instances; `execute.run` runs one, Dagster-free.
"""
