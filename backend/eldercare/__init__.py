"""Elderly care (优养): care providers and their staff, the services catalogue, elders' care
profiles, subsidies and the monthly allowance ledger (docs/eldercare.md)."""
