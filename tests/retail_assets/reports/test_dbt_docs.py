"""The dbt docs coverage report names undescribed models and columns, including columns the
YAML never mentions but the warehouse has (from the catalog)."""

from __future__ import annotations

import json

from retail_assets.reports import dbt_docs

MANIFEST = {"nodes": {
    "model.retail.a": {"resource_type": "model", "name": "a", "description": "A model.",
                       "columns": {"x": {"description": "the x"}, "y": {"description": ""}}},
    "model.retail.b": {"resource_type": "model", "name": "b", "description": "", "columns": {}},
    "test.retail.t": {"resource_type": "test", "name": "t", "description": ""},
}}
CATALOG = {"nodes": {"model.retail.a": {"columns": {"X": {}, "Y": {}, "Z": {}}},
                     "model.retail.b": {"columns": {"k": {}}}}}


def test_gaps_come_from_the_yaml_and_the_catalog():
    result = dbt_docs.coverage(MANIFEST, CATALOG)
    assert result.models == 2 and result.columns == 4
    assert result.undescribed_models == ["b"]
    assert result.undescribed_columns == {"a": ["y", "z"], "b": ["k"]}
    assert result.gaps == 4


def test_without_a_catalog_the_yaml_columns_are_checked():
    result = dbt_docs.coverage(MANIFEST, None)
    assert result.undescribed_columns == {"a": ["y"]}


def test_strict_fails_on_a_gap_and_the_report_names_it(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    assert dbt_docs.main([str(tmp_path)]) == 0
    assert dbt_docs.main([str(tmp_path), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "model b: no description" in out and "a: 2 columns without a description: y, z" in out
