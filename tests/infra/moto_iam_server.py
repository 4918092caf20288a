"""moto's server, with the resource ARN of each SageMaker call the pipeline makes and
bucket policies evaluated with their conditions.

moto authorizes every request against the caller's IAM policies once its no-auth
allowance (INITIAL_NO_AUTH_ACTION_COUNT, reset through POST /moto-api/reset-auth) is used
up. For S3 it checks the bucket/key ARN; for SageMaker it checks the action only, against
resource "*", so a statement scoped to `training-job/retail-train-*` would never match and
a grant on "*" would pass everything. This wrapper gives SageMaker requests the ARN IAM
evaluates (training job, model package group, model package, feature group), so the
policies' resource scoping is enforced too. CloudWatch actions are named cloudwatch:*,
as IAM names them (moto uses the signing name, monitoring:*).

Bucket policies: moto applies a statement whose condition it cannot evaluate, and treats a
statement whose condition is false as a Deny. The lake's policy denies requests without
TLS (aws:SecureTransport = false) or below TLS 1.2, so under moto it would deny
everything. Here a statement applies only when its condition holds, Bool and
NumericLessThan are evaluated, and requests are judged as AWS judges a request that
arrived over TLS 1.3 (the server stands for S3's HTTPS endpoint). Identity policies'
conditions are still not evaluated (moto has no request context for them).

    python moto_iam_server.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import json
import sys

from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, IAMRequestBase, PermissionResult
from moto.s3.models import FakeBucket
from moto.sagemaker.responses import SageMakerResponse
from moto.server import main

# What the request context holds for a request that came over HTTPS with TLS 1.3.
TLS_REQUEST = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}

BY_NAME = {  # action -> (request field, resource type); ARNs use the lower-cased name
    "CreateTrainingJob": ("TrainingJobName", "training-job"),
    "DescribeTrainingJob": ("TrainingJobName", "training-job"),
    "StopTrainingJob": ("TrainingJobName", "training-job"),
    "CreateModelPackageGroup": ("ModelPackageGroupName", "model-package-group"),
    "DescribeModelPackageGroup": ("ModelPackageGroupName", "model-package-group"),
    "DeleteModelPackageGroup": ("ModelPackageGroupName", "model-package-group"),
    "CreateFeatureGroup": ("FeatureGroupName", "feature-group"),
    "DescribeFeatureGroup": ("FeatureGroupName", "feature-group"),
    "PutRecord": ("FeatureGroupName", "feature-group"),
    "GetRecord": ("FeatureGroupName", "feature-group"),
}


def _determine_resource(self: SageMakerResponse) -> str:
    action = self._get_action()
    try:
        body = json.loads(self.body or "{}")
    except ValueError:
        body = {}
    prefix = f"arn:aws:sagemaker:{self.region}:{self.current_account}"
    if action in BY_NAME:
        field, kind = BY_NAME[action]
        name = str(body.get(field, "")).split("/")[-1]
        return f"{prefix}:{kind}/{name.lower()}"
    if action in ("CreateModelPackage", "ListModelPackages") and body.get("ModelPackageGroupName"):
        # The group's versions: model-package/<group>/<version> (IAM's resource type for
        # both is model-package; a new version's number is not known yet).
        return f"{prefix}:model-package/{str(body['ModelPackageGroupName']).lower()}/*"
    if action in ("DescribeModelPackage", "UpdateModelPackage", "DeleteModelPackage"):
        name = str(body.get("ModelPackageName") or body.get("ModelPackageArn") or "")
        return name if name.startswith("arn:") else f"{prefix}:model-package/{name.lower()}"
    if action in ("AddTags", "DeleteTags", "ListTags"):
        return str(body.get("ResourceArn") or "*")
    return "*"  # calls with no resource type in IAM


def _values(expected) -> list[str]:
    return [str(v) for v in (expected if isinstance(expected, list) else [expected])]


def _bool(expected, actual: str) -> bool:
    return actual.lower() in [v.lower() for v in _values(expected)]


def _numeric_less_than(expected, actual: str) -> bool:
    return any(float(actual) < float(v) for v in _values(expected))


_statement_result = IAMPolicyStatement.is_action_permitted


def _statement_applies_only_when_its_condition_holds(self, action, resource="*", principal=None,
                                                     incoming_condition_values=None):
    if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
        return PermissionResult.NEUTRAL
    return _statement_result(self, action, resource, principal, incoming_condition_values)


def _bucket_permission(self, action: str, resource: str):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return IAMPolicy(self.policy.decode()).is_action_permitted(action, resource,
                                                               incoming_condition_values=TLS_REQUEST)


# moto names an action by the request's signing name; IAM's prefix differs for CloudWatch.
IAM_PREFIX = {"monitoring:": "cloudwatch:"}
_request_init = IAMRequestBase.__init__


def _request_with_iam_action_name(self, *args, **kwargs):
    _request_init(self, *args, **kwargs)
    for signing, iam in IAM_PREFIX.items():
        if self._action.startswith(signing):
            self._action = iam + self._action[len(signing):]


SageMakerResponse._determine_resource = _determine_resource
IAMRequestBase.__init__ = _request_with_iam_action_name
policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool)
policy_conditions.CONDITION_OPERATIONS.setdefault("NumericLessThan", _numeric_less_than)
IAMPolicyStatement.is_action_permitted = _statement_applies_only_when_its_condition_holds
FakeBucket.get_permission = _bucket_permission

if __name__ == "__main__":
    main(sys.argv[1:])
