"""The model registry on SageMaker: one model package group, one model package per version.

Stages map onto SageMaker's approval status, so the console and any SageMaker tooling see
the truth: Challenger = PendingManualApproval, Production = Approved, Rejected and Archived
= Rejected (the package's `stage` property tells the two apart). Production is the latest
Approved package; a promotion approves the new package before it retires the old one, so
there is never a moment without a Production model. Rollback re-approves the version that
was Production before (each package records its predecessor in `previous_production`).

Metrics and lineage travel as model package metadata: ModelMetrics points at the bundle's
metrics.json, MetadataProperties holds the git sha and the Dagster run, and the headline
numbers and lineage sit in CustomerMetadataProperties (strings of at most 1,024 characters;
the complete documents are bundle.json and metrics.json beside the model).

After every change the registry also writes index.json and appends to log.jsonl under
retail/artifacts/registry in the lake (contracts.md section 4): serving reads that index,
and the log keeps who/what/when/why of every stage change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import REGISTRY_INDEX, REGISTRY_LOG
from retail_assets.registry.base import (
    ARCHIVED,
    CHALLENGER,
    PRODUCTION,
    REJECTED,
    PromotionDecision,
    bundle_problem,
    decide_promotion,
    event,
    index_bytes,
    log_bytes,
    metric_of,
    parse_log,
)
from retail_assets.registry.sagemaker_packages import (
    APPROVED,
    PENDING,
    SM_REJECTED,
    clip,
    entry_from_package,
    package_properties,
    production_of,
    properties,
    stage_of,
    weeks_text,
)


class SageMakerRegistry:
    def __init__(self, group: str, lake: Lake, *, client: Any = None, region: str | None = None,
                 clock: Callable[[], datetime] | None = None, verify: bool = True) -> None:
        if client is None:
            import boto3

            client = boto3.client("sagemaker", region_name=region)
        self.group = group
        self.lake = lake
        self.verify = verify  # False: stage rules only, for tests whose versions have no bundle
        self.client = client
        self._clock = clock or (lambda: datetime.now(UTC))

    # ------------------------------------------------------------------ reading

    def _location(self, bundle_uri: str) -> str:
        """A bundle's full URI: the registry files bundles of its lake by their lake key."""
        return bundle_uri.rstrip("/") if "://" in bundle_uri else self.lake.uri_of(bundle_uri)

    def _problem(self, entry: Mapping[str, Any]) -> str | None:
        return bundle_problem(self.lake.uri, entry) if self.verify else None

    def _now(self) -> str:
        return self._clock().isoformat(timespec="milliseconds")

    def ensure_group(self) -> str:
        from botocore.exceptions import ClientError

        try:
            return self.client.describe_model_package_group(ModelPackageGroupName=self.group)["ModelPackageGroupArn"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("ValidationException", "ResourceNotFound"):
                raise
        return self.client.create_model_package_group(
            ModelPackageGroupName=self.group,
            ModelPackageGroupDescription="Basket price sensitivity (LA/MM/UM): ONNX bundles from the retail pipeline",
        )["ModelPackageGroupArn"]

    def _packages(self) -> dict[str, dict[str, Any]]:
        """{version: DescribeModelPackage response} for every package of the group."""
        from botocore.exceptions import ClientError

        summaries, token = [], None
        while True:
            kwargs = {"ModelPackageGroupName": self.group, "MaxResults": 100, **({"NextToken": token} if token else {})}
            try:
                page = self.client.list_model_packages(**kwargs)
            except ClientError:
                return {}  # no group yet: no versions
            summaries += page.get("ModelPackageSummaryList", [])
            token = page.get("NextToken")
            if not token:
                break
        packages = {}
        for summary in summaries:
            described = self.client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            packages[f"v{int(described['ModelPackageVersion']):04d}"] = described
        return dict(sorted(packages.items()))

    def list_versions(self) -> dict[str, dict[str, Any]]:
        packages = self._packages()
        production = production_of(packages)
        return {v: entry_from_package(v, p, production) for v, p in packages.items()}

    def production(self) -> str | None:
        return production_of(self._packages())

    def get(self, version: str) -> dict[str, Any]:
        versions = self.list_versions()
        if version not in versions:
            raise KeyError(f"unknown model version {version!r}; known: {sorted(versions)}")
        return versions[version]

    def next_version(self) -> str:
        return f"v{len(self._packages()) + 1:04d}"

    def read_log(self) -> list[dict[str, Any]]:
        if not self.lake.exists(REGISTRY_LOG):
            return []
        return parse_log(self.lake.read_bytes(REGISTRY_LOG))

    # ------------------------------------------------------------------ writing

    def _publish(self, events: list[dict[str, Any]]) -> None:
        """Append the events to log.jsonl and rewrite index.json from SageMaker's current state."""
        old = self.lake.read_bytes(REGISTRY_LOG) if self.lake.exists(REGISTRY_LOG) else b""
        self.lake.write_bytes(REGISTRY_LOG, old + log_bytes(events))
        versions = self.list_versions()
        production = next((v for v, e in versions.items() if e["stage"] == PRODUCTION), None)
        index = {"production": production, "versions": versions,
                 "source": f"sagemaker model package group {self.group}"}
        self.lake.write_bytes(REGISTRY_INDEX, index_bytes(index))

    def _set(self, package: Mapping[str, Any], status: str, stage: str, reason: str,
             extra: Mapping[str, str] | None = None) -> None:
        # The whole property map every time: an update replaces what it is given.
        props = {**(package.get("CustomerMetadataProperties") or {}), "stage": stage,
                 "stage_changed_at": self._now(), **(extra or {})}
        self.client.update_model_package(
            ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus=status,
            ApprovalDescription=clip(reason), CustomerMetadataProperties=properties(props),
        )

    def _event(self, action: str, version: str, from_stage: str | None, to_stage: str, actor: str, reason: str,
               **details: Any) -> dict[str, Any]:
        return event(self._now(), action, version, from_stage, to_stage, actor, reason, **details)

    def register(self, bundle_uri: str, bundle_info: Mapping[str, Any], metrics: Mapping[str, Any], *,
                 actor: str = "pipeline") -> str:
        """A new model package (PendingManualApproval) in the group; returns its version (v0001, ...)."""
        self.ensure_group()
        version = self.next_version()
        written = bundle_info.get("version")
        if written is not None and written != version:
            raise ValueError(f"bundle {bundle_uri} says version {written!r} but the next version is {version!r}")
        lineage = bundle_info.get("lineage", {}) or {}
        request: dict[str, Any] = {
            "ModelPackageGroupName": self.group,
            "ModelPackageDescription": clip(f"{bundle_info['model_name']} bundle {bundle_info['bundle_id'][:12]} "
                                             f"trained on weeks {weeks_text(lineage.get('train_weeks', []))}"),
            "ModelApprovalStatus": PENDING,
            "CustomerMetadataProperties": package_properties(version, bundle_uri, bundle_info, metrics),
            "ModelMetrics": {"ModelQuality": {"Statistics": {
                "ContentType": "application/json", "S3Uri": f"{self._location(bundle_uri)}/metrics.json"}}},
        }
        metadata = {k: v for k, v in {"CommitId": lineage.get("git_sha"),
                                      "GeneratedBy": f"dagster run {lineage['dagster_run_id']}" if lineage.get("dagster_run_id") else None,
                                      "ProjectId": "retail-price-sensitivity"}.items() if v}
        request["MetadataProperties"] = metadata
        arn = self.client.create_model_package(**request)["ModelPackageArn"]
        created = self.client.describe_model_package(ModelPackageName=arn)
        got = f"v{int(created['ModelPackageVersion']):04d}"
        if got != version:  # another writer registered at the same time
            raise RuntimeError(f"registered {arn} as {got}, expected {version}; the bundle at {bundle_uri} says {version}")
        self._publish([self._event("register", version, None, CHALLENGER, actor, f"registered {bundle_uri}",
                                   model_package_arn=arn)])
        return version

    def _make_production(self, packages, version: str, *, actor: str, reason: str, action: str,
                         extra: Mapping[str, str] | None = None, **details: Any) -> list[dict[str, Any]]:
        current = production_of(packages)
        stage = stage_of(packages[version], current, version)
        props = {**(extra or {}), **({"previous_production": current} if current and current != version else {})}
        self._set(packages[version], APPROVED, PRODUCTION, reason, props)
        events = [self._event(action, version, stage, PRODUCTION, actor, reason, **details)]
        if current is not None and current != version:
            self._set(packages[current], SM_REJECTED, ARCHIVED, f"archived: replaced by {version}")
            events.append(self._event("archive", current, PRODUCTION, ARCHIVED, actor, f"replaced by {version}"))
        return events

    def promote(self, version: str, reason: str, *, actor: str = "pipeline") -> None:
        packages = self._packages()
        if version not in packages:
            raise KeyError(f"unknown model version {version!r}; known: {sorted(packages)}")
        stage = stage_of(packages[version], production_of(packages), version)
        if stage not in (CHALLENGER, ARCHIVED):
            raise ValueError(f"{version} is {stage}; only a Challenger or Archived version can be promoted")
        problem = self._problem(entry_from_package(version, packages[version], production_of(packages)))
        if problem:
            raise ValueError(f"{version} cannot be promoted: {problem}")
        self._publish(self._make_production(packages, version, actor=actor, reason=reason, action="promote"))

    def promote_if_better(self, version: str, metric: str = "macro_f1", tolerance: float = 0.0,
                          gates_failed: Sequence[str] = (), *, production_value: float | None = None,
                          actor: str = "pipeline") -> PromotionDecision:
        packages = self._packages()
        if version not in packages:
            raise KeyError(f"unknown model version {version!r}; known: {sorted(packages)}")
        current = production_of(packages)
        entries = {v: entry_from_package(v, p, current) for v, p in packages.items()}
        if entries[version]["stage"] != CHALLENGER:
            raise ValueError(f"{version} is {entries[version]['stage']}; only a Challenger can be promoted on merit")
        candidate = metric_of(entries[version], metric, version)
        source = None
        if current is not None and production_value is None:
            production_value, source = metric_of(entries[current], metric, current), "stored"
        elif current is not None:
            source = "re-scored"
        problem = self._problem(entries[version])
        gates = [*gates_failed, *([f"bundle cannot serve: {problem}"] if problem else [])]
        decision = decide_promotion(version, candidate, current, production_value, source, metric, tolerance, gates)
        summary = {"promotion.promoted": str(decision.promoted), "promotion.reason": decision.reason,
                   "promotion.compared_with": str(current or ""),
                   "promotion.production_value": "" if decision.production_value is None else repr(decision.production_value),
                   "promotion.decided_at": self._now()}
        if decision.promoted:
            events = self._make_production(packages, version, actor=actor, reason=decision.reason, action="promote",
                                           extra=summary, comparison=decision.to_dict())
        else:
            self._set(packages[version], PENDING, CHALLENGER, decision.reason, summary)
            events = [self._event("promotion_refused", version, CHALLENGER, CHALLENGER, actor, decision.reason,
                                  comparison=decision.to_dict())]
        self._publish(events)
        return decision

    def rollback(self, reason: str, *, actor: str = "pipeline") -> str:
        packages = self._packages()
        current = production_of(packages)
        if current is None:
            raise ValueError("no Production version to roll back from")
        def before(version: str) -> str | None:
            return (packages[version].get("CustomerMetadataProperties") or {}).get("previous_production")

        previous, seen, skipped = before(current), {current}, []
        # Back to the last version that served and still can: skip versions rejected since they
        # served, and versions whose bundle no longer loads (named in the log).
        while previous in packages and previous not in seen:
            archived = stage_of(packages[previous], current, previous) == ARCHIVED
            problem = self._problem(entry_from_package(previous, packages[previous], current)) if archived else None
            if archived and problem is None:
                break
            if problem:
                skipped.append(f"{previous} ({problem})")
            seen.add(previous)
            previous = before(previous)
        if skipped:
            reason = f"{reason} [skipped {'; '.join(skipped)}]"
        if previous in seen:
            previous = None
        if not previous or previous not in packages:
            raise ValueError(f"no earlier Production version to roll back to from {current}")
        # Re-approve first: Production is the latest Approved package, never none.
        self._set(packages[previous], APPROVED, PRODUCTION, f"rollback: {reason}")
        self._set(packages[current], SM_REJECTED, ARCHIVED, f"rolled back: {reason}")
        self._publish([self._event("rollback", current, PRODUCTION, ARCHIVED, actor, reason),
                       self._event("rollback", previous, ARCHIVED, PRODUCTION, actor, reason)])
        return previous

    def reject(self, version: str, reason: str, *, actor: str = "pipeline") -> None:
        packages = self._packages()
        if version not in packages:
            raise KeyError(f"unknown model version {version!r}; known: {sorted(packages)}")
        stage = stage_of(packages[version], production_of(packages), version)
        if stage == PRODUCTION:
            raise ValueError(f"{version} is Production; roll back or promote another version first")
        if stage == REJECTED:
            raise ValueError(f"{version} is already Rejected")
        self._set(packages[version], SM_REJECTED, REJECTED, reason)
        self._publish([self._event("reject", version, stage, REJECTED, actor, reason)])

