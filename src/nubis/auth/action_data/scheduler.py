"""Amazon EventBridge Scheduler (schedule and schedule group ARNs)."""
PREFIX = "scheduler"
ACTIONS: dict = {}
_GROUP = "arn:aws:scheduler:{region}:{account}:schedule-group/{value}"
PARAMS = [("ResourceArn", None)]
_SCHEDULE = [("Name", "arn:aws:scheduler:{region}:{account}:schedule/{GroupName}/{value}"),
             ("Name", "arn:aws:scheduler:{region}:{account}:schedule/default/{value}")]
RESOURCES = {**{op: _SCHEDULE for op in ("CreateSchedule", "DeleteSchedule", "GetSchedule", "UpdateSchedule")},
             **{op: [("Name", _GROUP)] for op in ("CreateScheduleGroup", "DeleteScheduleGroup", "GetScheduleGroup")}}
