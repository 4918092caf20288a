#!/usr/bin/env bash
# Post-deploy check of the inference API: alive, ready, serving the expected model, and
# answering a prediction with probabilities that sum to 1.
#   smoke_test.sh https://api.example.com [expected-model-version]
set -euo pipefail
base=${1:?usage: smoke_test.sh BASE_URL [EXPECTED_VERSION]}
expected=${2:-}

for attempt in $(seq 1 30); do
  if curl -fsS --max-time 5 "$base/ready" >/dev/null; then break; fi
  [ "$attempt" = 30 ] && { echo "not ready after 150 s" >&2; exit 1; }
  sleep 5
done
curl -fsS --max-time 5 "$base/health" >/dev/null

model=$(curl -fsS --max-time 5 "$base/model")
echo "model: $model"
if [ -n "$expected" ]; then
  echo "$model" | grep -q "\"$expected\"" || { echo "expected model $expected" >&2; exit 1; }
fi

answer=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' "$base/predict" -d '{
  "store_format": "LS", "store_region": "E02", "shop_weekday": 3, "shop_hour": 18,
  "lines": [{"prod_code": "PRD0900001", "quantity": 2, "spend": 3.10},
            {"prod_code": "PRD0900002", "quantity": 1, "spend": 0.85}]}')
echo "predict: $answer"
echo "$answer" | python3 -c '
import json, sys
answer = json.load(sys.stdin)
prediction = answer["predictions"][0]
assert prediction["label"] in ("LA", "MM", "UM"), prediction
assert abs(sum(prediction["probabilities"].values()) - 1) < 1e-3, prediction
'
echo "smoke test passed"
