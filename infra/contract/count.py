"""Counts the requests a schemathesis run made, from its ndjson event report."""

import json
import sys

count = 0
with open(sys.argv[1]) as events:
    for line in events:
        count += line.count('"request":')
print(count)
