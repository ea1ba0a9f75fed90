"""AWS managed policies that accounts attach by ARN (``arn:aws:iam::aws:policy/<path><name>``),
as the AWS Managed Policy Reference documents them. The broad ``ReadOnlyAccess`` is given as
its read patterns for the services nubis has, not its full list of several hundred actions."""
from __future__ import annotations

import hashlib
import json


def _allow(actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


_LOGS_WRITE = _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
_PASS_TO_LAMBDA = _allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})

# name -> (path, description, statements)
POLICIES: dict[str, tuple[str, str, list]] = {
    "AdministratorAccess": ("/", "Provides full access to AWS services and resources.", [_allow("*")]),
    "PowerUserAccess": ("/", "Provides full access to AWS services and resources, but does not allow management "
                        "of Users and groups.", [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        _allow(["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"])]),
    "ReadOnlyAccess": ("/", "Provides read-only access to AWS services and resources.", [
        _allow(["s3:Get*", "s3:List*", "s3:Describe*", "sqs:Get*", "sqs:List*", "sns:Get*", "sns:List*",
                "sns:Check*", "lambda:Get*", "lambda:List*", "logs:Describe*", "logs:Get*", "logs:List*",
                "logs:FilterLogEvents", "logs:StartQuery", "logs:StopQuery", "logs:TestMetricFilter",
                "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*", "sts:GetCallerIdentity",
                "dynamodb:BatchGet*", "dynamodb:Describe*", "dynamodb:Get*", "dynamodb:List*",
                "dynamodb:Query", "dynamodb:Scan", "kms:Describe*", "kms:Get*", "kms:List*",
                "ssm:Describe*", "ssm:Get*", "ssm:List*", "secretsmanager:Describe*",
                "secretsmanager:GetResourcePolicy", "secretsmanager:List*", "kinesis:Describe*",
                "kinesis:Get*", "kinesis:List*", "states:Describe*", "states:Get*", "states:List*",
                "events:Describe*", "events:List*", "events:Test*", "cloudwatch:Describe*", "cloudwatch:Get*",
                "cloudwatch:List*"])]),
    "IAMFullAccess": ("/", "Provides full access to IAM via the AWS Management Console.", [
        _allow(["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization",
                "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy",
                "organizations:ListChildren", "organizations:ListParents",
                "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:ListPolicies",
                "organizations:ListTargetsForPolicy"])]),
    "IAMReadOnlyAccess": ("/", "Provides read only access to IAM via the AWS Management Console.", [
        _allow(["iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails", "iam:Get*",
                "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy"])]),
    "AmazonS3FullAccess": ("/", "Provides full access to all buckets via the AWS Management Console.", [
        _allow(["s3:*", "s3-object-lambda:*"])]),
    "AmazonS3ReadOnlyAccess": ("/", "Provides read only access to all buckets via the AWS Management Console.", [
        _allow(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"])]),
    "AmazonSQSFullAccess": ("/", "Provides full access to Amazon SQS via the AWS Management Console.", [
        _allow(["sqs:*"])]),
    "AmazonSQSReadOnlyAccess": ("/", "Provides read only access to Amazon SQS via the AWS Management Console.", [
        _allow(["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListDeadLetterSourceQueues", "sqs:ListQueues",
                "sqs:ListMessageMoveTasks", "sqs:ListQueueTags"])]),
    "AmazonSNSFullAccess": ("/", "Provides full access to Amazon SNS via the AWS Management Console.", [
        _allow(["sns:*"]),
        _allow(["sms-voice:DescribeVerifiedDestinationNumbers", "sms-voice:CreateVerifiedDestinationNumber",
                "sms-voice:SendDestinationNumberVerificationCode", "sms-voice:SendTextMessage",
                "sms-voice:DeleteVerifiedDestinationNumber", "sms-voice:VerifyDestinationNumber",
                "sms-voice:DescribeAccountAttributes", "sms-voice:DescribeSpendLimits",
                "sms-voice:DescribePhoneNumbers", "sms-voice:SetTextMessageSpendLimitOverride",
                "sms-voice:DescribeOptedOutNumbers", "sms-voice:DeleteOptedOutNumber"])]),
    "AmazonSNSReadOnlyAccess": ("/", "Provides read only access to Amazon SNS via the AWS Management Console.", [
        _allow(["sns:GetTopicAttributes", "sns:List*", "sns:CheckIfPhoneNumberIsOptedOut",
                "sns:GetEndpointAttributes", "sns:GetDataProtectionPolicy", "sns:GetPlatformApplicationAttributes",
                "sns:GetSMSAttributes", "sns:GetSMSSandboxAccountStatus", "sns:GetSubscriptionAttributes"])]),
    "AmazonDynamoDBFullAccess": ("/", "Provides full access to Amazon DynamoDB via the AWS Management Console.", [
        _allow(["dynamodb:*", "dax:*", "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies", "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:RegisterScalableTarget", "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms",
                "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
                "cloudwatch:PutMetricAlarm", "cloudwatch:GetMetricData", "kinesis:ListStreams",
                "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kms:DescribeKey", "kms:ListAliases",
                "sns:CreateTopic", "sns:DeleteTopic", "sns:ListSubscriptions", "sns:ListSubscriptionsByTopic",
                "sns:ListTopics", "sns:Subscribe", "sns:Unsubscribe", "sns:SetTopicAttributes",
                "lambda:CreateFunction", "lambda:ListFunctions", "lambda:ListEventSourceMappings",
                "lambda:CreateEventSourceMapping", "lambda:DeleteEventSourceMapping",
                "lambda:GetFunctionConfiguration", "lambda:DeleteFunction", "resource-groups:ListGroups",
                "resource-groups:ListGroupResources", "resource-groups:GetGroup", "resource-groups:GetGroupQuery",
                "resource-groups:DeleteGroup", "resource-groups:CreateGroup", "tag:GetResources",
                "kinesis:ListStreams", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary"]),
        _allow("cloudwatch:GetInsightRuleReport", "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*"),
        _allow("iam:PassRole", Condition={"StringLike": {"iam:PassedToService": [
            "application-autoscaling.amazonaws.com", "application-autoscaling.amazonaws.com.cn",
            "dax.amazonaws.com"]}}),
        _allow("iam:CreateServiceLinkedRole", Condition={"StringEquals": {"iam:AWSServiceName": [
            "replication.dynamodb.amazonaws.com", "dax.amazonaws.com",
            "dynamodb.application-autoscaling.amazonaws.com", "contributorinsights.dynamodb.amazonaws.com",
            "kinesisreplication.dynamodb.amazonaws.com"]}})]),
    "AmazonDynamoDBReadOnlyAccess": ("/", "Provides read only access to Amazon DynamoDB via the AWS Management "
                                     "Console.", [
        _allow(["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies", "cloudwatch:DescribeAlarmHistory",
                "cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:GetMetricData",
                "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics", "datapipeline:DescribeObjects",
                "datapipeline:DescribePipelines", "datapipeline:GetPipelineDefinition",
                "datapipeline:ListPipelines", "datapipeline:QueryObjects", "dynamodb:BatchGetItem",
                "dynamodb:Describe*", "dynamodb:GetItem", "dynamodb:GetResourcePolicy", "dynamodb:List*",
                "dynamodb:PartiQLSelect", "dynamodb:Query", "dynamodb:Scan", "dax:Describe*", "dax:List*",
                "dax:GetItem", "dax:BatchGetItem", "dax:Query", "dax:Scan", "ec2:DescribeVpcs",
                "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "iam:GetRole", "iam:ListRoles",
                "kms:DescribeKey", "kms:ListAliases", "sns:ListSubscriptionsByTopic", "sns:ListTopics",
                "lambda:ListFunctions", "lambda:ListEventSourceMappings", "lambda:GetFunctionConfiguration",
                "resource-groups:ListGroups", "resource-groups:ListGroupResources", "resource-groups:GetGroup",
                "resource-groups:GetGroupQuery", "tag:GetResources", "kinesis:ListStreams",
                "kinesis:DescribeStream", "kinesis:DescribeStreamSummary"])]),
    "AWSLambdaBasicExecutionRole": ("/service-role/", "Provides write permissions to CloudWatch Logs.",
                                    [_LOGS_WRITE]),
    "AWSLambdaSQSQueueExecutionRole": ("/service-role/", "Provides receive message, delete message, and read "
                                       "attribute access to SQS queues, and write permissions to CloudWatch "
                                       "logs.", [
        _allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "logs:CreateLogGroup",
                "logs:CreateLogStream", "logs:PutLogEvents"])]),
    "AWSLambdaDynamoDBExecutionRole": ("/service-role/", "Provides list and read access to DynamoDB streams and "
                                       "write permissions to CloudWatch logs.", [
        _allow(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                "dynamodb:ListStreams", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])]),
    "AWSLambdaKinesisExecutionRole": ("/service-role/", "Provides list and read access to Kinesis streams and "
                                      "write permissions to CloudWatch logs.", [
        _allow(["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams",
                "kinesis:SubscribeToShard", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])]),
    "AWSLambdaRole": ("/service-role/", "Default policy for AWS Lambda service role.", [
        _allow(["lambda:InvokeFunction"])]),
    "AWSLambda_FullAccess": ("/", "Grants full access to AWS Lambda service, AWS Lambda console features, and "
                             "other related AWS services.", [
        _allow(["cloudformation:DescribeStacks", "cloudformation:ListStackResources", "cloudwatch:ListMetrics",
                "cloudwatch:GetMetricData", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
                "kms:ListAliases", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoles", "lambda:*",
                "logs:DescribeLogGroups", "states:DescribeStateMachine", "states:ListStateMachines", "tag:GetResources",
                "xray:GetTraceSummaries", "xray:BatchGetTraces"]),
        _PASS_TO_LAMBDA,
        _allow(["logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartLiveTail",
                "logs:StopLiveTail"], "arn:aws:logs:*:*:log-group:/aws/lambda/*")]),
    "AWSLambda_ReadOnlyAccess": ("/", "Grants read-only access to AWS Lambda service, AWS Lambda console features, "
                                 "and other related AWS services.", [
        _allow(["cloudformation:DescribeStacks", "cloudformation:ListStackResources", "cloudwatch:GetMetricData",
                "cloudwatch:ListMetrics", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
                "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoles", "kms:ListAliases",
                "lambda:Get*", "lambda:List*", "logs:DescribeLogGroups", "states:DescribeStateMachine",
                "states:ListStateMachines", "tag:GetResources", "xray:GetTraceSummaries", "xray:BatchGetTraces"]),
        _allow(["logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartLiveTail",
                "logs:StopLiveTail"], "arn:aws:logs:*:*:log-group:/aws/lambda/*")]),
    "CloudWatchLogsFullAccess": ("/", "Provides full access to CloudWatch Logs", [
        _allow(["logs:*", "cloudwatch:GenerateQuery", "cloudwatch:GenerateQueryResultsSummary"])]),
    "CloudWatchLogsReadOnlyAccess": ("/", "Provides read only access to CloudWatch Logs", [
        _allow(["logs:Describe*", "logs:Get*", "logs:List*", "logs:StartQuery", "logs:StopQuery",
                "logs:TestMetricFilter", "logs:FilterLogEvents", "logs:StartLiveTail", "logs:StopLiveTail",
                "cloudwatch:GenerateQuery", "cloudwatch:GenerateQueryResultsSummary"])]),
    "SecretsManagerReadWrite": ("/", "Provides read/write access to AWS Secrets Manager via the AWS Management "
                                "Console.", [
        _allow(["secretsmanager:*", "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
                "cloudformation:DescribeStackResource", "cloudformation:DescribeStacks",
                "cloudformation:ExecuteChangeSet", "docdb-elastic:GetCluster", "docdb-elastic:ListClusters",
                "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "kms:DescribeKey",
                "kms:ListAliases", "kms:ListKeys", "lambda:ListFunctions", "rds:DescribeDBClusters",
                "rds:DescribeDBInstances", "redshift:DescribeClusters", "redshift-serverless:ListWorkgroups",
                "redshift-serverless:GetNamespace", "tag:GetResources"]),
        _allow(["lambda:AddPermission", "lambda:CreateFunction", "lambda:GetFunction", "lambda:InvokeFunction",
                "lambda:UpdateFunctionConfiguration"], "arn:aws:lambda:*:*:function:SecretsManager*"),
        _allow(["serverlessrepo:CreateCloudFormationChangeSet", "serverlessrepo:GetApplication"],
               "arn:aws:serverlessrepo:*:*:applications/SecretsManager*"),
        _allow(["s3:GetObject"], "arn:aws:s3:::awsserverlessrepo-changesets*")]),
    "AmazonSSMReadOnlyAccess": ("/", "Provides read only access to Amazon SSM.", [
        _allow(["ssm:Describe*", "ssm:Get*", "ssm:List*"])]),
    "AmazonSSMFullAccess": ("/", "Provides full access to Amazon SSM.", [
        _allow(["cloudwatch:PutMetricData", "ds:CreateComputer", "ds:DescribeDirectories", "ec2:DescribeInstanceStatus",
                "logs:*", "ssm:*", "ec2messages:*"]),
        _allow("iam:CreateServiceLinkedRole", "arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/"
               "AWSServiceRoleForAmazonSSM*", Condition={"StringLike": {"iam:AWSServiceName": "ssm.amazonaws.com"}}),
        _allow(["iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"],
               "arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*"),
        _allow(["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"])]),
    "AWSKeyManagementServicePowerUser": ("/", "Provides access to AWS Key Management Service (KMS).", [
        _allow(["kms:CreateAlias", "kms:CreateKey", "kms:DeleteAlias", "kms:Describe*", "kms:GenerateRandom",
                "kms:Get*", "kms:List*", "kms:TagResource", "kms:UntagResource", "iam:ListGroups", "iam:ListRoles",
                "iam:ListUsers"])]),
    "AmazonKinesisFullAccess": ("/", "Provides full access to all streams via the AWS Management Console.", [
        _allow("kinesis:*")]),
    "AmazonEventBridgeFullAccess": ("/", "Provides full access to Amazon EventBridge.", [
        _allow(["events:*", "schemas:*", "scheduler:*", "pipes:*"]),
        _allow("iam:PassRole", "arn:aws:iam::*:role/*", Condition={"StringLike": {"iam:PassedToService":
                                                                                   "events.amazonaws.com"}})]),
    "AWSStepFunctionsFullAccess": ("/", "An access policy for providing a user/role/etc access to the AWS "
                                   "StepFunctions API.", [
        _allow("states:*"),
        _allow("iam:PassRole", "arn:aws:iam::*:role/service-role/StepFunctions*")]),
}

CREATED = 1423958400.0  # 2015-02-15: when the first AWS managed policies were published


def arn_of(name: str) -> str:
    path = POLICIES[name][0]
    return f"arn:aws:iam::aws:policy{path}{name}"


BY_ARN: dict[str, str] = {arn_of(name): name for name in POLICIES}


def document(name: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": POLICIES[name][2]}, separators=(",", ":"))


def policy(name: str, attachments: int = 0) -> dict:
    """The managed policy ``name`` as a ``Policy`` shape."""
    path, description, _ = POLICIES[name]
    pid = "ANPA" + hashlib.sha1(name.encode()).hexdigest().upper()[:17]
    return {"PolicyName": name, "PolicyId": pid, "Arn": arn_of(name), "Path": path, "DefaultVersionId": "v1",
            "AttachmentCount": attachments, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "Description": description, "CreateDate": CREATED, "UpdateDate": CREATED}
