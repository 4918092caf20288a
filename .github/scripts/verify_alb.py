"""Post-deploy gate on the inference API's ALB, from CloudWatch: p95 target response
time and 5xx rate over a window that starts after the rollout.

    verify_alb.py --load-balancer mlops-prod-api --since 2026-01-01T10:00:00Z \
        --window-seconds 600 --max-p95-ms 200 --max-5xx-percent 1 --min-requests 50

Waits until the window [since, since + window] has closed and CloudWatch has ingested it,
then reads, as one period over the window: TargetResponseTime p95, RequestCount,
HTTPCode_Target_5XX_Count and HTTPCode_ELB_5XX_Count. Exits 0 when every limit holds,
1 naming each one that does not (too little traffic to judge is a failure too), 2 when
the ALB is not found. Needs boto3 (CI installs it from .github/ci-requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

NAMESPACE = "AWS/ApplicationELB"
INGESTION_DELAY_SECONDS = 180  # ALB metrics reach CloudWatch within about 1-3 minutes


@dataclass(frozen=True)
class WindowStats:
    requests: float
    target_5xx: float
    elb_5xx: float
    p95_seconds: float | None  # None: no request in the window

    @property
    def error_percent(self) -> float:
        return 100.0 * (self.target_5xx + self.elb_5xx) / self.requests if self.requests else 0.0


def judge(stats: WindowStats, max_p95_ms: float, max_5xx_percent: float, min_requests: int) -> list[str]:
    """The limits the window breaks, worded for the job log; empty when it passes."""
    problems = []
    if stats.requests < min_requests:
        problems.append(f"only {stats.requests:.0f} requests in the window (need {min_requests} to judge)")
    if stats.p95_seconds is None:
        if stats.requests > 0 or min_requests > 0:
            problems.append("no TargetResponseTime p95 for the window")
    elif stats.p95_seconds * 1000 > max_p95_ms:
        problems.append(f"p95 {stats.p95_seconds * 1000:.0f} ms > {max_p95_ms:.0f} ms")
    if stats.error_percent > max_5xx_percent:
        problems.append(f"5xx {stats.error_percent:.2f} % > {max_5xx_percent:.2f} % "
                        f"({stats.target_5xx:.0f} target + {stats.elb_5xx:.0f} ALB of {stats.requests:.0f})")
    return problems


def load_balancer_dimension(elbv2, name: str) -> str:
    """CloudWatch's LoadBalancer dimension: app/<name>/<id>, the tail of the ARN."""
    arn = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]
    return arn.split(":loadbalancer/", 1)[1]


def window_period(seconds: int) -> int:
    """GetMetricData periods are multiples of 60 s: the window rounded up to one."""
    return max(60, -(-seconds // 60) * 60)


def read_window(cloudwatch, dimension: str, start: datetime, seconds: int) -> WindowStats:
    period = window_period(seconds)
    dims = [{"Name": "LoadBalancer", "Value": dimension}]

    def query(qid: str, metric: str, stat: str) -> dict:
        return {"Id": qid, "ReturnData": True,
                "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
                               "Period": period, "Stat": stat}}

    response = cloudwatch.get_metric_data(
        MetricDataQueries=[query("p95", "TargetResponseTime", "p95"), query("requests", "RequestCount", "Sum"),
                           query("target5xx", "HTTPCode_Target_5XX_Count", "Sum"),
                           query("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum")],
        StartTime=start, EndTime=start + timedelta(seconds=period), ScanBy="TimestampAscending",
    )
    values = {r["Id"]: r["Values"] for r in response["MetricDataResults"]}
    total = lambda qid: float(sum(values.get(qid) or []))  # noqa: E731 - missing data = none counted
    p95 = values.get("p95") or []
    return WindowStats(requests=total("requests"), target_5xx=total("target5xx"), elb_5xx=total("elb5xx"),
                       p95_seconds=max(p95) if p95 else None)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load-balancer", required=True, help="ALB name (the Ingress pins it: mlops-<env>-api)")
    parser.add_argument("--since", required=True, type=parse_time, help="start of the window (ISO 8601, UTC)")
    parser.add_argument("--window-seconds", type=int, default=600)
    parser.add_argument("--max-p95-ms", type=float, default=200.0)
    parser.add_argument("--max-5xx-percent", type=float, default=1.0)
    parser.add_argument("--min-requests", type=int, default=50)
    parser.add_argument("--region", default=None)
    parser.add_argument("--no-wait", action="store_true", help="read at once (the window must be over)")
    args = parser.parse_args(argv)

    import boto3
    from botocore.exceptions import ClientError

    ready_at = args.since + timedelta(seconds=window_period(args.window_seconds) + INGESTION_DELAY_SECONDS)
    wait = (ready_at - datetime.now(UTC)).total_seconds()
    if wait > 0 and not args.no_wait:
        print(f"waiting {wait:.0f} s for the window to close and reach CloudWatch", flush=True)
        time.sleep(wait)
    try:
        dimension = load_balancer_dimension(boto3.client("elbv2", region_name=args.region), args.load_balancer)
    except ClientError as exc:
        print(f"load balancer {args.load_balancer}: {exc}", file=sys.stderr)
        return 2
    stats = read_window(boto3.client("cloudwatch", region_name=args.region), dimension, args.since, args.window_seconds)
    problems = judge(stats, args.max_p95_ms, args.max_5xx_percent, args.min_requests)
    print(json.dumps({"load_balancer": args.load_balancer, "since": args.since.isoformat(),
                      "window_seconds": window_period(args.window_seconds), **asdict(stats),
                      "error_percent": round(stats.error_percent, 3), "problems": problems}))
    for problem in problems:
        print(f"verify: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
