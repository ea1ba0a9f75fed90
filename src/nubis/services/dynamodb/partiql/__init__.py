"""PartiQL for DynamoDB: a parser of the statements DynamoDB runs and the
operations (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction) that
run them as item operations."""
