"""The public parameters AWS publishes under ``/aws/service/``: the ones
users read most (latest AMIs, Regions, ECS-optimized AMIs), answered with
plausible values. An AMI id is derived from the Region and the parameter's
name, so it is stable and differs per Region as AWS's do.
"""
from __future__ import annotations

import functools
import hashlib
import json

PREFIX = "/aws/service/"
# A fixed date for the values' LastModifiedDate (they do not change under a user).
MODIFIED = 1735689600.0  # 2025-01-01T00:00:00Z

REGIONS = {
    "af-south-1": "Africa (Cape Town)", "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)", "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)", "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)", "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)", "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)", "eu-central-1": "Europe (Frankfurt)", "eu-central-2": "Europe (Zurich)",
    "eu-north-1": "Europe (Stockholm)", "eu-south-1": "Europe (Milan)", "eu-south-2": "Europe (Spain)",
    "eu-west-1": "Europe (Ireland)", "eu-west-2": "Europe (London)", "eu-west-3": "Europe (Paris)",
    "il-central-1": "Israel (Tel Aviv)", "me-central-1": "Middle East (UAE)", "me-south-1": "Middle East (Bahrain)",
    "sa-east-1": "South America (Sao Paulo)", "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
}

AMAZON_LINUX = [
    "al2023-ami-kernel-default-x86_64", "al2023-ami-kernel-default-arm64", "al2023-ami-kernel-6.1-x86_64",
    "al2023-ami-kernel-6.1-arm64", "al2023-ami-minimal-kernel-default-x86_64",
    "al2023-ami-minimal-kernel-default-arm64", "amzn2-ami-hvm-x86_64-gp2", "amzn2-ami-hvm-arm64-gp2",
    "amzn2-ami-kernel-5.10-hvm-x86_64-gp2", "amzn2-ami-kernel-5.10-hvm-arm64-gp2",
]

ECS = {
    "amazon-linux-2023": ("al2023-ami-ecs-hvm-2023.0.20250101-kernel-6.1-x86_64", "2023.0.20250101", "1.89.2"),
    "amazon-linux-2023/arm64": ("al2023-ami-ecs-hvm-2023.0.20250101-kernel-6.1-arm64", "2023.0.20250101", "1.89.2"),
    "amazon-linux-2": ("amzn2-ami-ecs-hvm-2.0.20250101-x86_64-ebs", "2.0.20250101", "1.89.2"),
    "amazon-linux-2/arm64": ("amzn2-ami-ecs-hvm-2.0.20250101-arm64-ebs", "2.0.20250101", "1.89.2"),
    "amazon-linux-2/gpu": ("amzn2-ami-ecs-gpu-hvm-2.0.20250101-x86_64-ebs", "2.0.20250101", "1.89.2"),
}


def ami_id(region: str, name: str) -> str:
    return "ami-0" + hashlib.sha256(f"{region}:{name}".encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def parameters(region: str) -> dict[str, tuple[str, str]]:
    """name -> (value, data type) of every public parameter nubis has, as seen from ``region``."""
    out: dict[str, tuple[str, str]] = {}
    for name in AMAZON_LINUX:
        full = f"{PREFIX}ami-amazon-linux-latest/{name}"
        out[full] = (ami_id(region, full), "aws:ec2:image")
    for kind, (image_name, version, agent) in ECS.items():
        base = f"{PREFIX}ecs/optimized-ami/{kind}/recommended"
        image = ami_id(region, base)
        out[f"{base}/image_id"] = (image, "aws:ec2:image")
        out[f"{base}/image_name"] = (image_name, "text")
        out[base] = (json.dumps({"ecs_agent_version": agent, "ecs_runtime_version": "Docker version 25.0.6",
                                 "image_id": image, "image_name": image_name, "image_version": version,
                                 "os": "Amazon Linux 2023" if "2023" in kind else "Amazon Linux 2",
                                 "schema_version": 1, "source_image_name": image_name}), "text")
    for code, long_name in REGIONS.items():
        base = f"{PREFIX}global-infrastructure/regions/{code}"
        out[base] = (code, "text")
        out[f"{base}/longName"] = (long_name, "text")
        out[f"{base}/partition"] = ("aws", "text")
        out[f"{base}/domain"] = ("amazonaws.com", "text")
    out[f"{PREFIX}global-infrastructure/current-region"] = (region, "text")
    return out


def is_public(name: str) -> bool:
    return name.startswith(PREFIX)
