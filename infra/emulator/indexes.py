"""Queries on a global secondary index without walking the whole table every time.

moto answers a Query on an index by walking every item of the table, keeping those of
the partition and sorting them — on every call. With 100 000 keywords in a table
(200 000 items with their guards) that is several seconds a page, though DynamoDB
reads only what the page returns. Here each table keeps, per index, its items grouped
by partition, and each partition's items sorted as moto sorts them, until the table is
next written; moto is handed only the partition. Answers are still moto's own: the
same conditions, order, limits and `LastEvaluatedKey`, from the same items. A query
that goes on from an `ExclusiveStartKey` is handed the partition from that key on,
rather than having moto compare every item before it (a 100 000-item partition read
1 MB at a time was minutes).

A write through the backend (put, update, delete: single, batch and transactions all
go through these) marks its table changed; the next query rebuilds what it needs.
"""

import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_original_query = Table.query
_original_sorted_items = Table.sorted_items
# The partition a query on this thread is about, for `sorted_items` to find its cache.
_current = threading.local()


def _generation(table):
    return table.__dict__.get("_igny8_generation", 0)


def _mark_written(backend, table_name):
    try:
        table = backend.get_table(table_name)
    except Exception:  # the write itself reports a missing table
        return
    table._igny8_generation = _generation(table) + 1


def _counting_writes(write):
    def counted(self, table_name, *args, **kwargs):
        try:
            return write(self, table_name, *args, **kwargs)
        finally:
            _mark_written(self, table_name)

    return counted


def _partitions(table, index):
    """{partition value: [items]} and {partition value: sorted items} of `index`."""
    cache = table.__dict__.setdefault("_igny8_partitions", {})
    entry = cache.get(index.name)
    if entry is None or entry[0] != _generation(table):
        hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        grouped = {}
        for item in table.all_items():
            value = item.attrs.get(hash_attr)
            if value is not None:
                grouped.setdefault(value, []).append(item)
        entry = (_generation(table), grouped, {})
        cache[index.name] = entry
    return entry[1], entry[2]


def _argument(args, kwargs, position, name):
    """One of `Table.query`'s arguments after `hash_key`, given by position or name."""
    return args[position] if len(args) > position else kwargs.get(name)


def _query(self, hash_key, *args, **kwargs):
    index_name = _argument(args, kwargs, 6, "index_name")
    conditions = kwargs.get("hash_key_conditions") or []
    index = next((i for i in self.all_indexes() if i.name == index_name), None) if index_name else None
    if index is None or len(conditions) != 1:
        return _original_query(self, hash_key, *args, **kwargs)
    value = conditions[0][1]
    grouped, ordered = _partitions(self, index)
    partition = grouped.get(value, [])
    self.all_items = lambda: partition
    start = _argument(args, kwargs, 3, "exclusive_start_key")
    forward = _argument(args, kwargs, 4, "scan_index_forward") is not False
    _current.key = (value, ordered, start, forward)
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items
        _current.key = None


def _sorted_items(self, hash_key_attrs, range_key_attrs, items):
    key = getattr(_current, "key", None)
    if key is None:
        return _original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
    value, ordered, start, forward = key
    if value not in ordered:
        in_order = list(_original_sorted_items(self, hash_key_attrs, range_key_attrs, items))
        places = {(item.hash_key.value, getattr(item.range_key, "value", None)): n for n, item in enumerate(in_order)}
        ordered[value] = (in_order, places)
    in_order, places = ordered[value]
    place = None
    if start:
        table_key = (start.get(self.hash_key_attr, {}).get("S"), start.get(self.range_key_attr, {}).get("S"))
        place = places.get(table_key)
    # moto reverses the list it gets back in place for descending queries; from a start
    # key it skips what comes before it, which here is already left out.
    if place is None:
        return list(in_order)
    return in_order[place + 1:] if forward else in_order[:place]


def install_index_cache():
    for name in ("put_item", "update_item", "delete_item"):
        setattr(DynamoDBBackend, name, _counting_writes(getattr(DynamoDBBackend, name)))
    Table.query = _query
    Table.sorted_items = _sorted_items
