"""Launch a Dagster run of a job's asset subset through the webserver's GraphQL API and
wait for it. Used by the main-branch workflow for each pipeline stage:

    dagster_run.py --url http://127.0.0.1:3000 --location retail-assets --job build_and_train \
                   --group silver --group gold            # data validation (dbt build + tests)
    dagster_run.py ... --key ml/candidates                # one asset by key

Exits 0 when the run succeeds, 1 when it fails (blocking asset checks fail the run), 2 on
a launch error. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request

ASSETS = "query { assetNodes { assetKey { path } groupName jobNames } }"
LAUNCH = """
mutation($p: ExecutionParams!) {
  launchRun(executionParams: $p) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
STATUS = "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"
DONE = {"SUCCESS": 0, "FAILURE": 1, "CANCELED": 1}


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.load(response)
    if payload.get("errors"):
        raise RuntimeError(json.dumps(payload["errors"]))
    return payload["data"]


def select(url: str, job: str, groups: list[str], keys: list[str]) -> list[list[str]]:
    wanted_keys = {tuple(k.split("/")) for k in keys}
    selection = []
    for node in graphql(url, ASSETS)["assetNodes"]:
        path = node["assetKey"]["path"]
        if job in node["jobNames"] and (node["groupName"] in groups or tuple(path) in wanted_keys):
            selection.append(path)
    return selection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--location", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--group", action="append", default=[])
    parser.add_argument("--key", action="append", default=[])
    parser.add_argument("--timeout-minutes", type=int, default=120)
    args = parser.parse_args(argv)

    selection = select(args.url, args.job, args.group, args.key)
    if not selection:
        print(f"nothing in job {args.job} matches groups {args.group} / keys {args.key}", file=sys.stderr)
        return 2
    params = {
        "selector": {
            "repositoryLocationName": args.location,
            "repositoryName": "__repository__",
            "jobName": args.job,
            "assetSelection": [{"path": p} for p in selection],
        },
        "runConfigData": {},
    }
    launched = graphql(args.url, LAUNCH, {"p": params})["launchRun"]
    if launched["__typename"] != "LaunchRunSuccess":
        print(f"launch failed: {json.dumps(launched)}", file=sys.stderr)
        return 2
    run_id = launched["run"]["runId"]
    print(f"run {run_id}: {['/'.join(p) for p in selection]}", flush=True)

    deadline = time.monotonic() + args.timeout_minutes * 60
    while time.monotonic() < deadline:
        status = graphql(args.url, STATUS, {"id": run_id})["runOrError"].get("status")
        if status in DONE:
            print(f"run {run_id}: {status}")
            return DONE[status]
        time.sleep(15)
    print(f"run {run_id}: still running after {args.timeout_minutes} min", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
