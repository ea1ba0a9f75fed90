"""Rotation end to end: a real Python Lambda function (run by nubis's Lambda)
that rotates through boto3, calling back into nubis at AWS_ENDPOINT_URL."""
import io
import zipfile

ROTATOR = '''
import boto3

sm = boto3.client("secretsmanager")


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    versions = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in versions.get(token, []):
        return
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            password = sm.get_random_password(PasswordLength=20, ExcludePunctuation=True)["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=password,
                                VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                       RemoveFromVersionId=current)
'''


def zip_of(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("rotator.py", text)
    return buf.getvalue()


def test_a_python_function_rotates_the_secret(aws_client, sm):
    lam = aws_client("lambda")
    fn = lam.create_function(FunctionName="rotator", Runtime="python3.12", Handler="rotator.handler",
                             Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": zip_of(ROTATOR)},
                             Timeout=30)["FunctionArn"]
    old = sm.create_secret(Name="real", SecretString="initial")["VersionId"]
    token = sm.rotate_secret(SecretId="real", RotationLambdaARN=fn,
                             RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
    got = sm.get_secret_value(SecretId="real")
    assert got["VersionId"] == token and len(got["SecretString"]) == 20 and got["SecretString"].isalnum()
    assert sm.describe_secret(SecretId="real")["VersionIdsToStages"] == {token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]}
