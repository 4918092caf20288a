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
