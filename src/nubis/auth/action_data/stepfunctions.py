"""AWS Step Functions (``states:``; state machine, execution, activity ARNs)."""
PREFIX = "states"
ACTIONS: dict = {}
PARAMS = [("executionArn", None), ("mapRunArn", None), ("stateMachineArn", None), ("activityArn", None),
          ("resourceArn", None), ("stateMachineAliasArn", None)]
RESOURCES = {"CreateStateMachine": [("name", "arn:aws:states:{region}:{account}:stateMachine:{value}")],
             "CreateActivity": [("name", "arn:aws:states:{region}:{account}:activity:{value}")],
             "TestState": [], "SendTaskSuccess": [], "SendTaskFailure": [], "SendTaskHeartbeat": []}
