"""Gold tables for the report tests, written straight into a temporary lake in the layout
dbt gives them (Hive partitions by week), with labels that depend on store format and
mission so the reports have something to show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

WEEKS = (200607, 200608, 200609, 200610, 200611, 200612)
FORMATS = ("LS", "MS", "SS", "XLS")
REGIONS = tuple(f"{r}0{i}" for r in "ENSW" for i in (1, 2, 3))
MISSIONS = ("Fresh", "Grocery", "Mixed", "Nonfood", "XX")
TYPES = ("Full Shop", "Small Shop", "Top Up", "XX")
LABELS = ("LA", "MM", "UM", "XX")


def _write_partitioned(root: Path, table: pa.Table, key: str) -> None:
    for week in sorted(set(table.column(key).to_pylist())):
        rows = table.filter(pa.compute.equal(table.column(key), week)).drop_columns([key])
        (root / f"{key}={week}").mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, root / f"{key}={week}" / "part-0.parquet")


def write_gold(lake: Path, baskets_per_week: int = 150, seed: int = 3) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n = baskets_per_week * len(WEEKS)
    week = np.repeat(WEEKS, baskets_per_week)
    store = rng.integers(1, 25, n)
    fmt = np.array(FORMATS)[store % 4]
    region = np.array(REGIONS)[store % 12]
    mission = np.array(MISSIONS)[rng.integers(0, 4, n)]
    # LA leans to SS stores and grocery trips, UM to XLS stores: a pattern the views must show.
    p_la = 0.2 + 0.15 * (fmt == "SS") + 0.1 * (mission == "Grocery")
    p_um = 0.2 + 0.2 * (fmt == "XLS")
    u = rng.random(n)
    label = np.where(u < p_la, "LA", np.where(u < p_la + p_um, "UM", np.where(u < 0.98, "MM", "XX")))
    n_lines = rng.integers(1, 20, n)
    spend = np.round(n_lines * rng.uniform(0.5, 3.0, n), 2)
    frame = pd.DataFrame({
        "basket_id": np.arange(n, dtype="int64") + 994_100_100_000_000,
        "label": label, "store_format": fmt, "store_region": region,
        "n_lines": n_lines.astype("int64"), "total_spend": spend, "shop_week": week.astype("int32"),
    })
    baskets = pa.Table.from_pandas(frame, preserve_index=False)
    frame["store_code"] = [f"STORE{s:05d}" for s in store]
    frame["mission"] = mission
    frame["segment"] = np.array(["LA", "MM", "UM", "unknown"])[rng.integers(0, 4, n)]
    frame["type"] = np.array(TYPES)[rng.integers(0, 3, n)]
    frame["size"] = np.array(["L", "M", "S"])[rng.integers(0, 3, n)]
    for lab in LABELS:
        frame[f"{lab.lower()}_baskets"] = (frame["label"] == lab).astype("int64")
        frame[f"{lab.lower()}_spend"] = frame["total_spend"].where(frame["label"] == lab, 0.0)
    frame["labelled_baskets"] = (frame["label"] != "XX").astype("int64")
    keys = ["store_code", "store_format", "store_region", "mission", "type", "size", "segment", "shop_week"]
    counts = ["labelled_baskets", "la_baskets", "mm_baskets", "um_baskets", "xx_baskets"]
    mix = frame.groupby(keys, as_index=False).agg(
        baskets=("basket_id", "size"), **{c: (c, "sum") for c in counts},
        total_spend=("total_spend", "sum"), la_spend=("la_spend", "sum"), mm_spend=("mm_spend", "sum"),
        um_spend=("um_spend", "sum"))
    mix = mix.rename(columns={"mission": "basket_dominant_mission", "type": "basket_type", "size": "basket_size",
                              "segment": "customer_segment"})
    mix.insert(7, "customer_lifestage", "unknown")
    mix["shop_week"] = mix.pop("shop_week").astype("int32")
    mix_table = pa.Table.from_pandas(mix, preserve_index=False)
    # product_features_pit: 40 products, each seen from a week on, classed once bought alone.
    rows = []
    for p in range(40):
        first = WEEKS[p % 3]
        for k, as_of in enumerate(w for w in WEEKS if w > first):
            solo = [0, 0, 0, 0]
            if k and p % 5:
                solo[p % 4] = k
            rows.append({"prod_code": f"PRD{p:07d}", "n_lines": 3 * (k + 1), "n_solo_la": solo[0], "n_solo_mm": solo[1],
                         "n_solo_um": solo[2], "n_solo_xx": solo[3], "as_of_week": as_of})
    pit = pa.Table.from_pylist(rows)
    gold = lake / "retail" / "gold"
    _write_partitioned(gold / "fct_baskets", baskets, "shop_week")
    _write_partitioned(gold / "fct_price_sensitivity_mix", mix_table, "shop_week")
    _write_partitioned(gold / "product_features_pit", pit, "as_of_week")
    return {"fct_baskets": baskets, "fct_price_sensitivity_mix": mix_table, "product_features_pit": pit}


@pytest.fixture(scope="session")
def gold_lake(tmp_path_factory) -> tuple[Path, dict[str, pa.Table]]:
    lake = tmp_path_factory.mktemp("reports") / "lake"
    return lake, write_gold(lake)
