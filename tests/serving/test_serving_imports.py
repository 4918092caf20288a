from __future__ import annotations

import subprocess
import sys

HEAVY = ("dagster", "dbt", "sagemaker", "pandas", "sklearn", "boto3")


def test_serving_imports_nothing_heavy() -> None:
    code = (
        "import sys, serving.app, serving.bench, serving.__main__\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout


ANSWER_WITHOUT_THE_PIPELINE = """
import importlib.abc, sys
HEAVY = {heavy!r}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in HEAVY:
            raise ImportError(f"{{name}} is not in the serving image")
        return None

sys.meta_path.insert(0, Refuse())
from fastapi.testclient import TestClient
from serving.app import create_app
from serving.settings import ServingSettings

app = create_app(ServingSettings(bundle_uri={bundle!r}, reload_seconds=0))
with TestClient(app) as client:
    assert client.get("/ready").status_code == 200, client.get("/ready").text
    answer = client.post("/predict", json={body!r})
    assert answer.status_code == 200, answer.text
    for path in ("/", "/docs", "/static/app.js", "/static/swagger-ui/swagger-ui-bundle.js", "/metrics", "/samples"):
        assert client.get(path).status_code == 200, path
print(answer.json()["predictions"][0]["label"])
"""


def test_serving_answers_with_the_image_dependencies_only(bundle_dir) -> None:
    """With dagster, dbt, sagemaker, pandas, sklearn and boto3 made unimportable, the app loads a
    bundle, passes its golden check, answers /predict and serves its page and docs."""
    from bundles import basket

    code = ANSWER_WITHOUT_THE_PIPELINE.format(heavy=HEAVY, bundle=str(bundle_dir), body=basket())
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] in {"LA", "MM", "UM"}
