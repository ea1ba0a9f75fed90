"""The AWS SDK for JavaScript v3 signs, presigns and streams against an enforcing nubis
(its packages are tests/js's, installed by the ``node`` fixture of tests/conftest.py)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path


JS_DIR = Path(__file__).resolve().parent.parent / "js"


def test_the_js_sdk_signs_as_nubis_checks(cloud, s3, node):
    out = subprocess.run([node, str(Path(__file__).with_name("js_sdk.mjs"))], capture_output=True, text=True,
                         env=dict(os.environ, NUBIS_ENDPOINT=cloud.endpoint, JS_DIR=str(JS_DIR)), timeout=120)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["text"] == "from node" and r["keys"] == ["plain key (1).txt"]
    assert r["presigned"] == {"status": 200, "text": "from node"}
    assert r["tampered"] == 403
    assert r["wrong"] == {"name": "SignatureDoesNotMatch", "status": 403}
    assert s3.get_object(Bucket="js-signed", Key="streamed")["Body"].read() == b"a" * 70000 + b"b" * 70000
