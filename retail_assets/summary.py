"""The short summary `retail run` prints: what came in, what was trained, what now serves."""

from __future__ import annotations

import pyarrow.compute as pc

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import raw_key
from retail_assets.ml.config import CANDIDATE_NAMES
from retail_assets.pipeline import RunReport
from retail_assets.settings import RetailSettings


def _one_prediction(settings: RetailSettings, weeks: list[int]) -> str:
    from retail_assets.contract.bundle import load_bundle
    from retail_assets.contract.registry_index import resolve_production

    ref = resolve_production(settings.registry_index_uri)
    if ref is None:
        return "no Production model"
    bundle = load_bundle(ref.bundle_uri)
    lake = Lake.from_uri(settings.lake_uri)
    # The latest week with rows in raw: a week whose every row was quarantined has none.
    week = next((w for w in sorted(weeks, reverse=True) if lake.parquet_metadata(raw_key(w)).num_rows), None)
    if week is None:
        return f"no row in raw for weeks {min(weeks)}..{max(weeks)}: nothing to predict"
    raw = lake.read_parquet(raw_key(week))
    labelled = raw.filter(pc.not_equal(raw.column("BASKET_PRICE_SENSITIVITY"), "XX"))
    basket_id = (labelled if labelled.num_rows else raw).column("BASKET_ID")[0]
    lines = raw.filter(pc.equal(raw.column("BASKET_ID"), basket_id))
    first = lines.slice(0, 1).to_pylist()[0]
    baskets = {
        "basket_id": [first["BASKET_ID"]], "store_format": [first["STORE_FORMAT"]], "store_region": [first["STORE_REGION"]],
        "shop_weekday": [first["SHOP_WEEKDAY"]], "shop_hour": [first["SHOP_HOUR"]],
        "cust_price_sensitivity": [first["CUST_PRICE_SENSITIVITY"]], "cust_lifestage": [first["CUST_LIFESTAGE"]],
    }
    request_lines = {
        "basket_id": lines.column("BASKET_ID").to_pylist(), "prod_code": lines.column("PROD_CODE").to_pylist(),
        "quantity": lines.column("QUANTITY").to_pylist(), "spend": lines.column("SPEND").to_pylist(),
    }
    labels, proba = bundle.predict(baskets, request_lines)
    probs = ", ".join(f"{c} {p:.3f}" for c, p in zip(bundle.classes, proba[0]))
    return (f"basket {first['BASKET_ID']} (week {week}, {lines.num_rows} lines, labelled {first['BASKET_PRICE_SENSITIVITY']}) "
            f"-> {labels[0]} [{probs}] by {bundle.version} ({bundle.model_name}, bundle {bundle.bundle_id[:12]})")


def print_summary(report: RunReport, settings: RetailSettings) -> None:
    raw = report.partitions_of("raw/transactions")
    print(f"\n== retail run: {settings.home}")
    rows = sum(int(m.get("rows_raw", 0)) for m in raw.values())
    quarantined = sum(int(m.get("rows_quarantined", 0)) for m in raw.values())
    print(f"weeks loaded     {len(report.weeks_loaded)} ({min(report.weeks_loaded, default='-')}..{max(report.weeks_loaded, default='-')})")
    print(f"rows ingested    {rows:,} (quarantined {quarantined:,})"
          + (f"; {len(report.weeks_unchanged)} weeks unchanged since they were ingested" if report.weeks_unchanged else ""))
    table = report.materializations.get("features/training_table", {})
    if table:
        print(f"baskets          {int(table['baskets']):,} in the training table")
    cands = report.materializations.get("ml/candidates", {})
    if cands:
        print(f"validation weeks {cands.get('validation_weeks')} (trained on {cands.get('train_weeks')})")
        for name in CANDIDATE_NAMES:
            if f"{name}/accuracy" in cands:
                print(f"  {name:<20} accuracy {cands[f'{name}/accuracy']:.4f}  macro-F1 {cands[f'{name}/macro_f1']:.4f}")
    winner = report.materializations.get("ml/model", {})
    if winner:
        print(f"winner           {winner['winner']} (accuracy {winner['accuracy']:.4f}, macro-F1 {winner['macro_f1']:.4f})")
    gates = {k: v for k, v in report.checks.items() if k.startswith("ml/")}
    if gates:
        print("gates            " + ", ".join(f"{k.split(':')[1]} {'pass' if v else 'FAIL'}" for k, v in gates.items()))
    reg = report.materializations.get("ml/registered_model", {})
    if reg:
        print(f"registered       {reg['version']} -> {reg['stage']} ({reg['decision']})")
    if report.weeks_loaded and reg:
        print(f"prediction       {_one_prediction(settings, report.weeks_loaded)}")
    if report.log_path:
        print(f"dbt log          {report.log_path}")
