"""Plain SQL reads of the marts (schema `hawk`), shared by the API's list routes and the benchmarks."""
