"""Property tests of the protocol layer against botocore, the reference client.

Request direction: botocore serializes a drawn input; nubis parses it back.
Response direction: nubis serializes a drawn output; botocore parses it back.
Errors: nubis serializes each modeled error; botocore reads code, message,
status and members. See ``harness.py`` for the wire handling and the
normalizations, ``strategies.py`` for what "a valid value" means.

The default run is a fixed, deterministic sample (every operation and modeled
error of a few representative services per protocol, 5 examples each). The
exhaustive sweep over every service in botocore's data is marked ``sweep``:

    pytest -m sweep tests/protocol            # per service, readable failures
    python -m tests.protocol.sweep_report     # counts and first errors, for a note
"""
from __future__ import annotations

import os

import pytest

from . import harness as H

# protocol -> services (or (service, protocol-of-the-model) where the model
# the protocol reads is not the service's default one).
SAMPLE = {
    "query": ["sts", "sns", "iam", "cloudformation", "sqs", "cloudwatch"],
    "ec2": ["ec2"],
    "json": ["dynamodb", "kinesis", "logs", "sqs", "stepfunctions", "events", "secretsmanager", "cloudwatch"],
    "rest-json": ["lambda", "apigateway", "glacier", "iot-data", "lex-runtime"],
    "rest-xml": ["s3", "route53", "cloudfront", "s3control"],
    "smithy-rpc-v2-cbor": ["cloudwatch", "arc-region-switch", "comprehendmedical", "compute-optimizer",
                           "compute-optimizer-automation", "gamelift", "interconnect",
                           "marketplace-entitlement", "snowball"],
}
# NUBIS_PROTOCOL_EXAMPLES raises the example counts (both runs) for a deeper look.
EXAMPLES = int(os.environ.get("NUBIS_PROTOCOL_EXAMPLES", 5))


def _sample_cases():
    out = []
    for protocol, services in SAMPLE.items():
        for service in services:
            if protocol not in H.serializable_protocols(service):
                continue
            for kind, name in H.cases(service, protocol):
                out.append(pytest.param(kind, protocol, service, name, id=f"{kind}-{protocol}-{service}-{name}"))
    return out


@pytest.mark.parametrize("kind,protocol,service,name", _sample_cases())
def test_roundtrip(kind, protocol, service, name):
    H.run_case(kind, service, protocol, name, max_examples=EXAMPLES)


def test_sample_covers_every_protocol():
    import botocore.serialize

    assert set(SAMPLE) == set(botocore.serialize.SERIALIZERS)
    # The awsQueryCompatible error path (x-amzn-query-error) is in the sample.
    assert any(H.service_model(s, "json").metadata.get("awsQueryCompatible") is not None
               for s in SAMPLE["json"])


@pytest.mark.parametrize("protocol,service", [(p, s[0]) for p, s in SAMPLE.items()] + [("json", "sqs"), ("query", "sqs")])
@pytest.mark.parametrize("status,sender", [(400, True), (503, False)])
def test_unmodeled_error(protocol, service, status, sender):
    """An error the model does not list still reaches the client as code,
    message and status."""
    from nubis.protocol import protocol_for
    from nubis.protocol.errors import ServiceError

    model = H.service_model(service, protocol)
    op = model.operation_model(model.operation_names[0])
    err = ServiceError("NubisUnmodeledError", "Something & <else> went wrong", status=status, sender_fault=sender)
    resp = protocol_for(protocol).serialize_error(model, op, err, "req-1")
    parsed = H.parser(protocol).parse(H.response_dict(resp), op.output_shape)
    assert resp.status == status
    assert parsed["Error"]["Code"] == "NubisUnmodeledError"
    assert parsed["Error"]["Message"] == "Something & <else> went wrong"
    assert parsed["ResponseMetadata"].get("RequestId") == "req-1"


# -- the exhaustive sweep -------------------------------------------------------------------

SWEEP_EXAMPLES = int(os.environ.get("NUBIS_PROTOCOL_EXAMPLES", 10))


def _sweep_params():
    return [pytest.param(s, p, id=f"{s}-{p}") for s, p in H.sweep_targets()]


@pytest.mark.sweep
@pytest.mark.parametrize("service,protocol", _sweep_params())
def test_sweep(service, protocol):
    failures = []
    for kind, name in H.cases(service, protocol):
        try:
            H.run_case(kind, service, protocol, name, max_examples=SWEEP_EXAMPLES)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failures.append(f"{kind} {name}: {H.describe(e)}")
    assert not failures, f"{len(failures)} failing case(s) in {service} ({protocol}):\n" + "\n".join(failures)
