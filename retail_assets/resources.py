"""Resources shared by the asset folders: the same keys on every back end."""

from __future__ import annotations

import io

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import asset_table_key


class LakeResource(dg.ConfigurableResource):
    """The data lake root: a folder locally, s3://bucket on AWS."""

    uri: str

    def get(self) -> Lake:
        return Lake.from_uri(self.uri)


class LakeTableIOManager(dg.ConfigurableIOManager):
    """Stores Arrow tables (and pandas frames) as Parquet under `retail/<layer>/<name>.parquet`.

    Used for the feature store's tables, so the offline and online tables are lake files that
    anyone can read, and still flow to the training assets as asset inputs.
    """

    uri: str

    def _key(self, asset_key: dg.AssetKey) -> str:
        return asset_table_key(asset_key.path)

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        table = obj if isinstance(obj, pa.Table) else pa.Table.from_pandas(obj, preserve_index=False)
        key = self._key(context.asset_key)
        digest = Lake.from_uri(self.uri).write_parquet(key, table)
        context.add_output_metadata({"uri": Lake.from_uri(self.uri).uri_of(key), "rows": table.num_rows, "sha256": digest})

    def load_input(self, context: dg.InputContext) -> pa.Table:
        lake = Lake.from_uri(self.uri)
        return pq.read_table(io.BytesIO(lake.read_bytes(self._key(context.asset_key))))
