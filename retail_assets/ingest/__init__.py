"""Weekly file ingestion: landing file → validated raw partition + quarantine (Dagster-free)."""
