"""TransactWriteItems for moto that costs what the transaction touches, not the table.

moto (5.x) snapshots every table a transaction names with copy.deepcopy before applying
it, so it can roll back; on a table of tens of thousands of items every transaction then
takes a large fraction of a second. DynamoDB's semantics give a cheaper equivalent:

1. check every action first (one action per item, conditions against the current item),
   writing nothing;
2. if any condition fails, cancel with one reason per action, as moto does;
3. otherwise apply the writes, remembering only the touched items' previous state, and
   restore those if a write raises (e.g. an invalid update expression).

Requests are serialised by serve.py, so nothing interleaves between the steps.
"""

import copy

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend


def _key_of(backend, op_type, op):
    if op_type == "Put":
        attrs = op["Item"]
        table = backend.get_table(op["TableName"])
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
        return key
    return op["Key"]


def transact_write_items(self, transact_items):
    if len(transact_items) > 100:
        raise TooManyTransactionsException()

    actions = []
    seen = set()
    errors = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        key = _key_of(self, op_type, op)
        identity = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        actions.append((op_type, op, key))

        current = self.get_item(op["TableName"], key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                errors.append(("ConditionalCheckFailed", str(ConditionalCheckFailed(item=old).message), old))
                continue
        errors.append((None, None, None))

    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    undo = []  # (table, key, previous attributes or None)
    try:
        for op_type, op, key in actions:
            table_name = op["TableName"]
            if op_type == "ConditionCheck":
                continue
            previous = self.get_item(table_name, key)
            undo.append((table_name, key, copy.deepcopy(previous.to_json()["Attributes"]) if previous else None))
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(table_name, op["Item"], expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, expression_attribute_names=names, expression_attribute_values=values)
            else:
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
    except Exception:
        for table_name, key, previous in reversed(undo):
            if previous is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, previous)
        raise


def install_fast_transactions():
    DynamoDBBackend.transact_write_items = transact_write_items
