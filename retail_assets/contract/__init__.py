"""The contract between the pipeline and the serving runtime.

Feature definitions (`features`, `baskets`, `products`, `encoding`), the bundle format
(`bundle_format`, `bundle`), the lake's keys (`lake_keys`), the lake with its one atomic
writer (`lake`) and the registry index as serving reads it (`registry_index`). It imports
neither FastAPI nor Dagster: the training code and the API both depend on it, and on
nothing of each other.
"""
