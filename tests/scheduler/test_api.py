"""Schedules and schedule groups through boto3: create, read, update, list, delete, tags, errors."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from .conftest import ROLE, code, error_of, status

OFF = {"Mode": "OFF"}


def target(arn: str = "arn:aws:sqs:us-east-1:000000000000:q", **more) -> dict:
    return {"Arn": arn, "RoleArn": ROLE, **more}


def test_default_group_is_always_there(scheduler):
    groups = scheduler.list_schedule_groups()["ScheduleGroups"]
    assert [(g["Name"], g["State"]) for g in groups] == [("default", "ACTIVE")]
    got = scheduler.get_schedule_group(Name="default")
    assert got["Arn"] == "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default"
    e = error_of(scheduler.delete_schedule_group, Name="default")
    assert (code(e), status(e)) == ("ValidationException", 400)
    e = error_of(scheduler.create_schedule_group, Name="default")
    assert (code(e), status(e)) == ("ConflictException", 409)


def test_schedule_groups_and_their_tags(scheduler):
    arn = scheduler.create_schedule_group(Name="team-a", Tags=[{"Key": "env", "Value": "dev"}])["ScheduleGroupArn"]
    assert arn == "arn:aws:scheduler:us-east-1:000000000000:schedule-group/team-a"
    assert scheduler.get_schedule_group(Name="team-a")["Name"] == "team-a"
    scheduler.create_schedule_group(Name="team-b")
    page = scheduler.list_schedule_groups(MaxResults=2)
    assert [g["Name"] for g in page["ScheduleGroups"]] == ["default", "team-a"]
    rest = scheduler.list_schedule_groups(MaxResults=2, NextToken=page["NextToken"])
    assert [g["Name"] for g in rest["ScheduleGroups"]] == ["team-b"] and "NextToken" not in rest
    assert [g["Name"] for g in scheduler.list_schedule_groups(NamePrefix="team-")["ScheduleGroups"]] == [
        "team-a", "team-b"]

    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "me"}, {"Key": "env", "Value": "prod"}])
    assert sorted((t["Key"], t["Value"]) for t in scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]) == [
        ("env", "prod"), ("owner", "me")]
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "me"}]

    e = error_of(scheduler.get_schedule_group, Name="nope")
    assert (code(e), status(e)) == ("ResourceNotFoundException", 404)
    assert e.response["Error"]["Message"] == "Schedule group nope does not exist."
    e = error_of(scheduler.list_tags_for_resource,
                 ResourceArn="arn:aws:scheduler:us-east-1:000000000000:schedule-group/nope")
    assert code(e) == "ResourceNotFoundException"


def test_create_get_update_delete_a_schedule(scheduler):
    arn = scheduler.create_schedule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)",
                                    ScheduleExpressionTimezone="Europe/Paris", FlexibleTimeWindow=OFF,
                                    Target=target(Input='{"hello": 1}'), Description="every night")["ScheduleArn"]
    assert arn == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly"
    got = scheduler.get_schedule(Name="nightly")
    assert got["Arn"] == arn and got["GroupName"] == "default" and got["State"] == "ENABLED"
    assert got["ScheduleExpression"] == "cron(0 2 * * ? *)" and got["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert got["Description"] == "every night" and got["FlexibleTimeWindow"] == OFF
    assert got["ActionAfterCompletion"] == "NONE"
    assert got["Target"]["Input"] == '{"hello": 1}' and got["Target"]["RoleArn"] == ROLE
    # The retry policy's defaults are filled in.
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    assert isinstance(got["CreationDate"], datetime)

    e = error_of(scheduler.create_schedule, Name="nightly", ScheduleExpression="rate(1 hour)",
                 FlexibleTimeWindow=OFF, Target=target())
    assert (code(e), status(e)) == ("ConflictException", 409)

    scheduler.update_schedule(Name="nightly", ScheduleExpression="rate(2 hours)", State="DISABLED",
                              FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
                              Target=target(RetryPolicy={"MaximumRetryAttempts": 3}))
    got = scheduler.get_schedule(Name="nightly")
    assert (got["ScheduleExpression"], got["State"]) == ("rate(2 hours)", "DISABLED")
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    # An update replaces the schedule: what it leaves out is gone.
    assert "Description" not in got and "ScheduleExpressionTimezone" not in got
    assert got["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 3}

    scheduler.delete_schedule(Name="nightly")
    e = error_of(scheduler.get_schedule, Name="nightly")
    assert (code(e), status(e)) == ("ResourceNotFoundException", 404)
    assert e.response["Error"]["Message"] == "Schedule nightly does not exist."
    assert code(error_of(scheduler.delete_schedule, Name="nightly")) == "ResourceNotFoundException"
    assert code(error_of(scheduler.update_schedule, Name="nightly", ScheduleExpression="rate(1 hour)",
                         FlexibleTimeWindow=OFF, Target=target())) == "ResourceNotFoundException"


def test_list_schedules_filters_and_pages(scheduler):
    scheduler.create_schedule_group(Name="g2")
    for name, group, state in (("a1", "default", "ENABLED"), ("a2", "default", "DISABLED"),
                               ("b1", "default", "ENABLED"), ("a3", "g2", "ENABLED")):
        scheduler.create_schedule(Name=name, GroupName=group, State=state, ScheduleExpression="rate(1 day)",
                                  FlexibleTimeWindow=OFF, Target=target())
    every = scheduler.list_schedules()["Schedules"]
    assert [(s["GroupName"], s["Name"]) for s in every] == [
        ("default", "a1"), ("default", "a2"), ("default", "b1"), ("g2", "a3")]
    assert every[0]["Target"] == {"Arn": "arn:aws:sqs:us-east-1:000000000000:q"}
    assert [s["Name"] for s in scheduler.list_schedules(GroupName="g2")["Schedules"]] == ["a3"]
    assert [s["Name"] for s in scheduler.list_schedules(NamePrefix="a")["Schedules"]] == ["a1", "a2", "a3"]
    assert [s["Name"] for s in scheduler.list_schedules(State="DISABLED")["Schedules"]] == ["a2"]
    seen, token = [], None
    while True:
        page = scheduler.list_schedules(MaxResults=3, **({"NextToken": token} if token else {}))
        seen += [s["Name"] for s in page["Schedules"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["a1", "a2", "b1", "a3"]
    assert [s["Name"] for s in scheduler.get_paginator("list_schedules").paginate(
        PaginationConfig={"PageSize": 1}).build_full_result()["Schedules"]] == seen
    assert code(error_of(scheduler.list_schedules, GroupName="nope")) == "ResourceNotFoundException"


def test_deleting_a_group_deletes_its_schedules(scheduler):
    scheduler.create_schedule_group(Name="temp")
    scheduler.create_schedule(Name="s", GroupName="temp", ScheduleExpression="rate(1 day)",
                              FlexibleTimeWindow=OFF, Target=target())
    scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF, Target=target())
    scheduler.delete_schedule_group(Name="temp")
    assert code(error_of(scheduler.get_schedule, Name="s", GroupName="temp")) == "ResourceNotFoundException"
    assert [s["GroupName"] for s in scheduler.list_schedules()["Schedules"]] == ["default"]
    e = error_of(scheduler.create_schedule, Name="x", GroupName="temp", ScheduleExpression="rate(1 day)",
                 FlexibleTimeWindow=OFF, Target=target())
    assert (code(e), status(e)) == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize("expression", [
    "rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "cron(0 10 * * * *)", "cron(0 10 * *)",
    "at(2030-13-01T00:00:00)", "at(tomorrow)", "every day", "cron(0 10 ? * MON#9 *)",
])
def test_an_invalid_expression_is_refused(scheduler, expression):
    e = error_of(scheduler.create_schedule, Name="bad", ScheduleExpression=expression, FlexibleTimeWindow=OFF,
                 Target=target())
    assert (code(e), status(e)) == ("ValidationException", 400)
    assert e.response["Error"]["Message"] == f"Invalid Schedule Expression {expression}."


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"Name": "bad name!"}, "Member must satisfy regular expression pattern"),
    ({"Name": "x" * 65}, "Member must have length less than or equal to 64"),
    ({"ScheduleExpressionTimezone": "Mars/Olympus"}, "Invalid timezone Mars/Olympus."),
    ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "MaximumWindowInMinutes"),
    ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}},
     "Member must have value less than or equal to 1440"),
    ({"FlexibleTimeWindow": {"Mode": "SOMETIMES"}}, "Member must satisfy enum value set"),
    ({"State": "PAUSED"}, "Member must satisfy enum value set: [ENABLED, DISABLED]"),
    ({"ActionAfterCompletion": "ARCHIVE"}, "Member must satisfy enum value set: [NONE, DELETE]"),
    ({"Target": {"Arn": "arn:aws:sqs:us-east-1:000000000000:q", "RoleArn": "not-a-role"}},
     "Member must satisfy regular expression pattern"),
    ({"Target": {"Arn": "arn:aws:sqs:us-east-1:000000000000:q", "RoleArn": ROLE,
                 "RetryPolicy": {"MaximumEventAgeInSeconds": 90000}}}, "less than or equal to 86400"),
    ({"Target": {"Arn": "arn:aws:sqs:us-east-1:000000000000:q", "RoleArn": ROLE,
                 "DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:000000000000:t"}}},
     "Member must satisfy regular expression pattern"),
    ({"EndDate": datetime(2001, 1, 1, tzinfo=timezone.utc)}, "EndDate"),
])
def test_invalid_input_is_a_validation_exception(scheduler, kwargs, fragment):
    params = {"Name": "s", "ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": OFF, "Target": target(),
              **kwargs}
    e = error_of(scheduler.create_schedule, **params)
    assert (code(e), status(e)) == ("ValidationException", 400)
    assert fragment in e.response["Error"]["Message"]


def test_start_date_no_earlier_than_five_minutes_ago(scheduler, nubis):
    now = datetime.fromtimestamp(nubis.clock(), timezone.utc)
    e = error_of(scheduler.create_schedule, Name="s", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                 Target=target(), StartDate=now - timedelta(minutes=10))
    assert code(e) == "ValidationException" and "StartDate" in e.response["Error"]["Message"]
    scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                              Target=target(), StartDate=now - timedelta(minutes=2),
                              EndDate=now + timedelta(days=1))
    got = scheduler.get_schedule(Name="s")
    assert abs(got["StartDate"].timestamp() - (now - timedelta(minutes=2)).timestamp()) < 1


def test_a_retried_create_with_the_same_client_token_is_not_a_conflict(scheduler):
    params = {"Name": "idem", "ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": OFF, "Target": target()}
    first = scheduler.create_schedule(ClientToken="token-1", **params)["ScheduleArn"]
    assert scheduler.create_schedule(ClientToken="token-1", **params)["ScheduleArn"] == first
    assert code(error_of(scheduler.create_schedule, ClientToken="token-2", **params)) == "ConflictException"
    assert "_token" not in str(scheduler.get_schedule(Name="idem"))
