from types import SimpleNamespace

from retail_assets.ml.config import TrainingConfig
from retail_assets.ml.metrics import evaluation_report, gate_results
from retail_assets.ml.report import candidates_table, gate_table, per_class_table, segment_table

CLASSES = ("LA", "MM", "UM")


def _report():
    true = ["LA", "MM", "UM", "MM"] * 50
    pred = ["LA", "MM", "MM", "MM"] * 25 + ["LA", "MM", "UM", "MM"] * 25
    segments = {"store_region": ["E01"] * 100 + ["W03"] * 80 + ["N02"] * 20}
    return evaluation_report(true, pred, CLASSES, segments, segment_min_support=50)


def test_tables_mark_the_worst_segment_small_segments_and_failed_gates():
    report = _report()
    table = segment_table(report, floor=0.65)
    assert "| store_region=E01 **worst** | 100 |" in table and "below floor" in table
    assert "| store_region=N02 | 20 |" in table and "no (too few)" in table
    assert per_class_table(report).splitlines()[2].startswith("| LA | 1.0000 |")
    gates = gate_table(gate_results(report, TrainingConfig(gates={k: v for k, v in TrainingConfig().gates.items()
                                                                 if k != "macro_f1_over_baseline"})))
    assert "| worst_segment_macro_f1 |" in gates and "**FAIL**" in gates
    listing = candidates_table([SimpleNamespace(name="xgboost", metrics=report, train_seconds=1.5)])
    assert "| xgboost |" in listing and "store_region=E01" in listing
