#!/usr/bin/env python3
"""Load test (not a test of the suite), run by infra/bench/load.sh against a local gateway
on loopback. Two scenarios:

  mix   hardening: LOAD_ACCOUNTS accounts (5), each with a site, a sector and 100
        keywords; LOAD_CLIENTS clients (50), each signed in as the owner of one of them,
        for LOAD_SECONDS (60) mix reads, writes (some duplicates on purpose), CSV imports
        of 50 rows and AI jobs. Then it waits for the jobs (LOAD_DRAIN_SECONDS, 120) and
        checks the invariants; exit status 1 if one breaks.
  warm  performance: GET /auth/me, a keyword list page and a keyword create, each at 1,
        10 and 50 clients for LOAD_SECONDS (10) each.

    LOAD_PROCESSES='gateway=PID emulator=PID' python3 infra/bench/load.py BASE_URL mix|warm

LOAD_PROCESSES is optional (Linux: read from /proc); it adds the CPU time each process
spent during the run. Only the Python standard library is used: one thread and one
keep-alive connection per client.
"""

import http.client
import json
import math
import os
import random
import resource
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict

PASSWORD = "a long load-test password"
TIMEOUT = 120
INTENTS = ("informational", "commercial", "transactional", "navigational")
STATUSES = ("active", "inactive", "used")
TOPICS = ("coffee grinder", "running shoes", "garden hose", "travel backpack", "budget laptop",
          "sourdough bread", "yoga mat", "electric kettle", "hiking boots", "standing desk")
QUALIFIERS = ("best", "cheap", "review", "for beginners", "near me", "2026", "vs", "how to clean",
              "alternatives", "buying guide", "under 100", "for kids")
# How often each client picks each operation. Reads dominate, as in the product. Imports
# and jobs are overweighted so that 10 clients an account press on the per-account limits
# (10 imports and 30 job submissions a minute): against the emulator, which serves about
# 10 requests a second of this mix, the import limit is reached; the job limit only by a
# faster stack.
MIX = (
    ("auth.me", 8), ("keywords.list", 18), ("clusters.list", 8), ("jobs.list", 8), ("billing.balance", 8),
    ("keywords.create", 18), ("keywords.update", 10), ("clusters.create", 5),
    ("keywords.import_csv", 11), ("jobs.auto_cluster", 8), ("jobs.generate_ideas", 7),
)
# Answers that are correct behaviour under this load, by endpoint group; anything else
# below 500 is listed as unexpected (a bug of the product or of this script).
# 403 is PLAN_LIMIT: the trial plan's keywords, clusters, ideas and AI requests.
EXPECTED = {
    "keywords.create": {201, 403, 409},          # 409 DUPLICATE_KEYWORD, on purpose
    "keywords.update": {200, 409},               # duplicate text, or a concurrent change
    "keywords.import_csv": {200, 201, 403, 429},  # 200: every row a duplicate
    "jobs.auto_cluster": {202, 402, 403, 429},   # 402 once the trial credits run low
    "jobs.generate_ideas": {202, 402, 403, 429},
    "clusters.create": {201, 403},
}


def percentile(values, fraction):
    """Nearest rank, so that p99 of a short run is a latency that really happened."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def cpu_seconds(pid):
    """User + system CPU time of a process and all its threads; None without /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU time the whole machine spent busy (all cores); None without /proc."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuWatch:
    """CPU time of the processes named in LOAD_PROCESSES and of this one, over a run, and
    what the rest of the machine took meanwhile: figures from a machine busy with other
    work are not comparable."""

    def __init__(self):
        self.pids = {}
        for pair in os.environ.get("LOAD_PROCESSES", "").split():
            name, _, pid = pair.partition("=")
            if pid.isdigit():
                self.pids[name] = int(pid)

    def start(self):
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.before["load generator"] = own_cpu_seconds()
        self.machine = machine_busy_seconds()
        self.started = time.monotonic()

    def spent(self):
        after = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        after["load generator"] = own_cpu_seconds()
        spent = {name: after[name] - self.before[name] for name in after
                 if after[name] is not None and self.before.get(name) is not None}
        machine = machine_busy_seconds()
        if machine is not None and self.machine is not None:
            spent["other processes"] = max(0.0, machine - self.machine - sum(spent.values()))
        return spent

    def report(self):
        wall = time.monotonic() - self.started
        parts = [f"{name} {seconds:.1f} s" for name, seconds in self.spent().items()]
        return f"CPU time over {wall:.0f} s of wall time ({os.cpu_count()} cores): " + ", ".join(parts)


class Api:
    """One keep-alive connection per thread; every answer is recorded by group."""

    def __init__(self, base):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = parsed.hostname, parsed.port, parsed.path.rstrip("/")
        self.local = threading.local()
        # (group, status, seconds, account, epoch, store seconds); append is atomic
        self.records = []
        self.samples = {}          # (group, status) -> one answer body, for the report
        self.recording = False

    def connection(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            self.local.used = False
        return conn

    def drop(self):
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
        self.local.conn = None

    def call(self, group, method, path, token=None, body=None, raw=None, content_type="application/json",
             account=0):
        """(status, parsed body or None). Status 0 means no answer (connection error or
        timeout)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {}
        if data is not None:
            headers["content-type"] = content_type
        if token:
            headers["authorization"] = f"Bearer {token}"
        started, epoch = time.perf_counter(), time.time()
        store = 0.0
        for attempt in (1, 2):
            conn = self.connection()
            reused = self.local.used
            try:
                conn.request(method, self.prefix + path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                store = timing(response.getheader("server-timing")).get("store", 0.0) / 1000
                self.local.used = True
                if response.will_close:
                    self.drop()
                status = response.status
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.drop()
                # A keep-alive connection the server closed while idle: nothing reached
                # the handler, so sending once more cannot apply a write twice.
                if reused and attempt == 1:
                    continue
                status, payload = 0, repr(error).encode()
                break
            except OSError as error:  # timeouts included
                self.drop()
                status, payload = 0, repr(error).encode()
                break
        elapsed = time.perf_counter() - started
        if self.recording:
            self.records.append((group, status, elapsed, account, epoch, store))
            self.samples.setdefault((group, status), payload[:400])
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, None


def timing(header):
    """The figures of a `Server-Timing` header: `store` (ms), `items`, `bytes`."""
    fields = {}
    for part in (header or "").split(","):
        name, _, value = part.strip().partition(";")
        fields[name] = float(value.split("=", 1)[1]) if "=" in value else 0.0
    return fields


def expect(reply, *wanted):
    status, body = reply
    if status not in wanted:
        sys.exit(f"expected {wanted}, got {status}: {json.dumps(body)[:600]}")
    return body


def csv_body(rows):
    return ("keyword,volume,difficulty,intent\n" + "".join(
        f"{text},{volume},{difficulty},{intent}\n" for text, volume, difficulty, intent in rows)).encode()


def vary(text, rng):
    """The same keyword as the sector's uniqueness sees it (case and spacing differ)."""
    words = text.split()
    words = [w.upper() if rng.random() < 0.3 else w for w in words]
    return ("  " if rng.random() < 0.5 else " ").join(words) + (" " if rng.random() < 0.3 else "")


class Account:
    """One account of the mix, with what its clients have seen of it. The lists are
    shared by the account's clients, so that duplicates and updates race across them."""

    def __init__(self, api, n, run):
        self.n = n
        self.email = f"load-{run}-{n}@example.com"
        session = expect(api.call("setup", "POST", "/auth/register", body={
            "email": self.email, "password": PASSWORD, "account_name": f"Load {n}"}), 201)["data"]
        self.token = session["access"]
        self.account_id = session["account"]["id"]
        site = expect(api.call("setup", "POST", "/auth/sites", self.token,
                               {"name": f"Load site {n}", "domain": f"load{n}-{run}.example.com"}), 201)["data"]
        sector = expect(api.call("setup", "POST", "/auth/sectors", self.token,
                                 {"site_id": site["id"], "name": "Everything"}), 201)["data"]
        self.site, self.sector = site["id"], sector["id"]
        # Texts every client of the account creates, renames to and imports: the
        # duplicates on purpose, racing each other.
        rng = random.Random(n)
        self.hot = sorted({f"{rng.choice(TOPICS)} {q}" for q in QUALIFIERS for _ in range(2)})
        rows = [(f"{topic} {q} {i}", (i * 37) % 5000, i % 100, INTENTS[i % 4])
                for i, (topic, q) in enumerate((t, q) for t in TOPICS for q in QUALIFIERS[:10])]
        report = expect(api.call("setup", "POST", f"/planner/keywords/import_csv?site_id={self.site}"
                                 f"&sector_id={self.sector}", self.token, raw=csv_body(rows),
                                 content_type="text/csv"), 201)["data"]
        self.keywords = []
        self.clusters = []
        self.odd_balances = []    # balance reads with held or available below zero
        page = 1
        while True:
            listed = expect(api.call("setup", "GET", f"/planner/keywords?site_id={self.site}"
                                     f"&sector_id={self.sector}&page_size=200&page={page}", self.token), 200)
            self.keywords += [k["id"] for k in listed["results"]]
            if not listed.get("next"):
                break
            page += 1
        self.starting_keywords = report["created"]
        self.starting_credits = expect(api.call("setup", "GET", "/billing/balance", self.token), 200)["data"]["credits"]


class MixClient:
    def __init__(self, api, account, n):
        self.api, self.account, self.n = api, account, n
        self.deadline = 0.0  # set when every client has signed in
        self.rng = random.Random(1000 + n)
        self.count = 0
        session = expect(api.call("setup", "POST", "/auth/login", body={
            "email": account.email, "password": PASSWORD}), 200)["data"]
        self.token = session["access"]

    def scope(self):
        return f"site_id={self.account.site}&sector_id={self.account.sector}"

    def new_text(self):
        self.count += 1
        return f"{self.rng.choice(TOPICS)} {self.rng.choice(QUALIFIERS)} c{self.n}n{self.count}"

    def run(self):
        ops, weights = zip(*MIX)
        while time.monotonic() < self.deadline:
            op = self.rng.choices(ops, weights)[0]
            getattr(self, op.replace(".", "_"))()

    def call(self, group, method, path, body=None, **options):
        return self.api.call(group, method, path, self.token, body, account=self.account.n, **options)

    def get(self, group, path):
        return self.call(group, "GET", path)

    def auth_me(self):
        self.get("auth.me", "/auth/me")

    def keywords_list(self):
        rng = self.rng
        query = [self.scope(), "page_size=25", f"page={rng.choice((1, 1, 1, 2, 3))}"]
        filters = [f"status={rng.choice(STATUSES)}", f"intent={rng.choice(INTENTS)}",
                   f"search={urllib.parse.quote(rng.choice(TOPICS).split()[0])}",
                   f"difficulty_min={rng.randrange(50)}&difficulty_max={rng.randrange(50, 101)}",
                   f"volume_min={rng.randrange(1000)}",
                   f"ordering={rng.choice(('keyword', '-volume', 'difficulty', '-created_at'))}"]
        query += rng.sample(filters, rng.randrange(0, 3))
        status, body = self.get("keywords.list", "/planner/keywords?" + "&".join(query))
        if status == 200:
            self.account.keywords += [k["id"] for k in body["results"][:5]]

    def clusters_list(self):
        status, body = self.get("clusters.list", f"/planner/clusters?{self.scope()}&page_size=25&ordering="
                                + self.rng.choice(("name", "-keywords_count", "-created_at")))
        if status == 200:
            self.account.clusters += [c["id"] for c in body["results"][:5]]

    def jobs_list(self):
        self.get("jobs.list", "/system/jobs?page_size=25" + self.rng.choice(("", "&state=done", "&state=queued")))

    def billing_balance(self):
        status, body = self.get("billing.balance", "/billing/balance")
        if status == 200 and min(body["data"].get("held", 0), body["data"].get("available", 0)) < 0:
            self.account.odd_balances.append(body["data"])

    def keywords_create(self):
        rng = self.rng
        # A third are duplicates on purpose: a text other clients create too.
        text = vary(rng.choice(self.account.hot), rng) if rng.random() < 0.33 else self.new_text()
        status, body = self.call("keywords.create", "POST", "/planner/keywords", {
            "site_id": self.account.site, "sector_id": self.account.sector, "keyword": text,
            "volume": rng.randrange(10000), "difficulty": rng.randrange(101), "intent": rng.choice(INTENTS)})
        if status == 201:
            self.account.keywords.append(body["data"]["id"])

    def keywords_update(self):
        rng = self.rng
        change = rng.choice((
            {"volume": rng.randrange(10000)}, {"difficulty": rng.randrange(101)},
            {"status": rng.choice(STATUSES)}, {"intent": rng.choice(INTENTS)},
            # A rename to a text the sector may already hold: a duplicate on purpose.
            {"keyword": vary(rng.choice(self.account.hot), rng)},
            {"keyword": self.new_text()},
        ))
        keyword = rng.choice(self.account.keywords)
        self.call("keywords.update", "PATCH", f"/planner/keywords/{keyword}", change)

    def clusters_create(self):
        self.count += 1
        status, body = self.call("clusters.create", "POST", "/planner/clusters", {
            "site_id": self.account.site, "sector_id": self.account.sector,
            "name": f"{self.rng.choice(TOPICS)} cluster c{self.n}n{self.count}"})
        if status == 201:
            self.account.clusters.append(body["data"]["id"])

    def keywords_import_csv(self):
        rng = self.rng
        # 50 rows: 35 new, 10 the sector may hold already, 5 repeating a row of the file.
        rows = [(self.new_text(), rng.randrange(10000), rng.randrange(101), rng.choice(INTENTS))
                for _ in range(35)]
        rows += [(vary(rng.choice(self.account.hot), rng), 10, 10, "commercial") for _ in range(10)]
        rows += [(vary(row[0], rng), row[1], row[2], row[3]) for row in rng.sample(rows[:35], 5)]
        rng.shuffle(rows)
        self.call("keywords.import_csv", "POST", f"/planner/keywords/import_csv?{self.scope()}",
                  raw=csv_body(rows), content_type="text/csv")

    def jobs_auto_cluster(self):
        known = self.account.keywords
        ids = self.rng.sample(known, min(len(known), self.rng.randrange(10, 60)))
        self.call("jobs.auto_cluster", "POST", "/planner/keywords/auto_cluster", {"ids": ids})

    def jobs_generate_ideas(self):
        known = self.account.clusters
        if not known:
            return self.clusters_list()
        ids = self.rng.sample(known, min(len(known), self.rng.randrange(1, 4)))
        self.call("jobs.generate_ideas", "POST", "/planner/clusters/generate_ideas",
                  {"ids": list(dict.fromkeys(ids)), "ideas_per_cluster": 2})


def run_clients(targets):
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def summarise(records, seconds, order=None):
    """Prints a table by endpoint group; returns the status counts by group."""
    by_group = defaultdict(list)
    for group, status, elapsed, *_ in records:
        by_group[group].append((status, elapsed))
    groups = order or sorted(by_group)
    print(f"  {'endpoint group':<22} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  answers")
    statuses = {}
    for group in groups:
        rows = by_group.get(group, [])
        counts = Counter(status for status, _ in rows)
        statuses[group] = counts
        latencies = [elapsed * 1000 for _, elapsed in rows]
        answers = ", ".join(f"{status or 'no answer'}: {count} ({count / len(rows):.0%})"
                            for status, count in sorted(counts.items()))
        print(f"  {group:<22} {len(rows):>8} {len(rows) / seconds:>7.1f} {percentile(latencies, 0.5):>8.0f} "
              f"{percentile(latencies, 0.99):>8.0f}  {answers}")
    total = len(records)
    latencies = [record[2] * 1000 for record in records]
    print(f"  {'all':<22} {total:>8} {total / seconds:>7.1f} {percentile(latencies, 0.5):>8.0f} "
          f"{percentile(latencies, 0.99):>8.0f}")
    return statuses


def list_all(api, token, path):
    items, page = [], 1
    separator = "&" if "?" in path else "?"
    while True:
        body = expect(api.call("check", "GET", f"{path}{separator}page_size=200&page={page}", token), 200)
        items += body["results"]
        if not body.get("next"):
            return items
        page += 1


def unfinished_jobs(api, account):
    return sum(expect(api.call("check", "GET", f"/system/jobs?state={state}&page_size=1", account.token),
                      200)["count"] for state in ("queued", "running"))


def chains(transactions, balance):
    """Whether the transactions can be ordered as one history from 0 to `balance`, each
    starting at the balance the one before left (balance_after - amount = the previous
    balance_after). An Euler path over balances: every balance is left as often as it is
    reached, except 0 (left once more) and the final balance (reached once more). Two
    writers that charged from the same read would leave two transactions starting at
    one balance and break it."""
    degree = Counter()
    for tx in transactions:
        degree[tx["balance_after"] - tx["amount"]] += 1
        degree[tx["balance_after"]] -= 1
    degree[0] -= 1
    degree[balance] += 1
    return all(value == 0 for value in degree.values())


def mix(api, clients, seconds, accounts_wanted):
    drain_seconds = float(os.environ.get("LOAD_DRAIN_SECONDS", "120"))
    run = uuid.uuid4().hex[:8]
    setup = time.monotonic()
    accounts = [Account(api, n, run) for n in range(accounts_wanted)]
    workers = [MixClient(api, accounts[n % len(accounts)], n) for n in range(clients)]
    print(f"Set up {len(accounts)} accounts ({accounts[0].starting_keywords} keywords and "
          f"{accounts[0].starting_credits} credits each) and signed in {clients} clients in "
          f"{time.monotonic() - setup:.1f} s")

    cpu = CpuWatch()
    cpu.start()
    api.recording = True
    started = time.monotonic()
    deadline = started + seconds
    for worker in workers:
        worker.deadline = deadline
    run_clients([worker.run for worker in workers])
    wall = time.monotonic() - started
    api.recording = False
    print(f"\nMix: {clients} clients on {len(accounts)} accounts for {seconds:.0f} s "
          f"(the last answers came {wall - seconds:.1f} s after)")
    statuses = summarise(api.records, wall, [op for op, _ in MIX])
    print("  " + cpu.report())

    unexpected = []
    for group, counts in statuses.items():
        wanted = EXPECTED.get(group, {200})
        for status, count in counts.items():
            if 0 < status < 500 and status not in wanted:
                sample = api.samples.get((group, status), b"").decode(errors="replace")
                unexpected.append(f"{group} {status} x{count}: {sample}")
    throttled = {group: counts[429] for group, counts in statuses.items() if counts.get(429)}
    print("  429 (per-account limits, expected): "
          + (", ".join(f"{g} {n}" for g, n in throttled.items()) if throttled else "none"))
    # How close the load came to the limits; a clock minute by when the request was sent,
    # so a request sent just before a minute ends may count in the next one.
    accepted = Counter()
    for group, status, _, account, epoch, _ in api.records:
        if (group.startswith("jobs.") and status == 202) or (group == "keywords.import_csv" and status in (200, 201)):
            accepted[("jobs" if group.startswith("jobs.") else "imports", account, int(epoch // 60))] += 1
    peak = {kind: max([n for (k, _, _), n in accepted.items() if k == kind] or [0]) for kind in ("jobs", "imports")}
    print(f"  most accepted by one account in one clock minute: {peak['jobs']} job submissions (limit 30), "
          f"{peak['imports']} imports (limit 10)")
    if unexpected:
        print("  unexpected answers (not counted as failures; one body each):")
        for line in unexpected:
            print("    " + line)

    # Jobs: they run on the gateway's worker, after (and still during) the load.
    drain_started = time.monotonic()
    while True:
        waiting = {a.account_id: unfinished_jobs(api, a) for a in accounts}
        if not any(waiting.values()) or time.monotonic() - drain_started > drain_seconds:
            break
        time.sleep(1)
    print(f"\nJobs after {time.monotonic() - drain_started:.0f} s of waiting:")
    outcomes, reasons = Counter(), Counter()
    for account in accounts:
        for job in list_all(api, account.token, "/system/jobs"):
            outcomes[(job["function"], job["state"])] += 1
            if job["state"] == "failed":
                reasons[(job["reason"] or "")[:90]] += 1
    for (function, state), count in sorted(outcomes.items()):
        print(f"  {function:<16} {state:<8} {count}")
    for reason, count in reasons.most_common(5):
        print(f"  failed x{count}: {reason}")

    failures = []

    def check(ok, label, detail=""):
        print(f"  {'ok  ' if ok else 'FAIL'} {label}" + (f": {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(label)

    print("\nInvariants:")
    server_errors = {group: {s: n for s, n in counts.items() if s >= 500}
                     for group, counts in statuses.items() if any(s >= 500 for s in counts)}
    samples = [f"{g} {s}: {api.samples[(g, s)][:300].decode(errors='replace')}"
               for g, counts in server_errors.items() for s in counts]
    check(not server_errors, "no 5xx answer", f"{server_errors} {samples}")
    no_answer = {group: counts[0] for group, counts in statuses.items() if counts.get(0)}
    check(not no_answer, "every request answered (no connection error or timeout)",
          f"{no_answer} {[api.samples[(g, 0)][:200] for g in no_answer]}")
    check(not any(waiting.values()), "no job left queued or running",
          ", ".join(f"{a}: {n}" for a, n in waiting.items() if n))

    for n, account in enumerate(accounts):
        token = account.token
        view = expect(api.call("check", "GET", "/billing/balance", token), 200)["data"]
        balance = view["credits"]
        transactions = list_all(api, token, "/billing/transactions")
        by_type = defaultdict(int)
        for tx in transactions:
            by_type[tx["transaction_type"]] += tx["amount"]
        starting = sum(tx["amount"] for tx in transactions
                       if tx["transaction_type"] == "adjustment" and tx["description"] == "Starting credits")
        charges, refunds = -by_type["usage"], by_type["refund"]
        other = sum(by_type.values()) - starting + charges - refunds
        expected = starting - charges + refunds + other
        check(balance == expected and starting == account.starting_credits,
              f"account {n}: balance {balance} = {starting} starting - {charges} charged + {refunds} refunded"
              + (f" + {other} other" if other else "") + f" ({len(transactions)} transactions)",
              f"the transactions add up to {expected}, the account started with {account.starting_credits}")
        lowest = min([balance] + [tx["balance_after"] for tx in transactions])
        check(lowest >= 0, f"account {n}: balance never negative (lowest {lowest})")
        check(chains(transactions, balance), f"account {n}: balance_after values chain from 0 to {balance}")
        # Holds (accepted jobs' estimates) are released when their jobs finish.
        if "held" in view:
            check(view["held"] == 0 and view["available"] == balance,
                  f"account {n}: nothing held once the jobs are done (held {view['held']}, "
                  f"available {view['available']})")
            check(not account.odd_balances, f"account {n}: held and available never negative in "
                  f"the run's balance reads", f"{len(account.odd_balances)} reads, e.g. {account.odd_balances[:3]}")

        keywords = list_all(api, token, f"/planner/keywords?site_id={account.site}&sector_id={account.sector}")
        texts = Counter(" ".join(k["keyword"].split()).lower() for k in keywords)
        duplicates = {text: count for text, count in texts.items() if count > 1}
        check(not duplicates, f"account {n}: no duplicate keyword in the sector ({len(keywords)} keywords)",
              f"{len(duplicates)} texts more than once, e.g. {list(duplicates.items())[:5]}")
        clusters = list_all(api, token, f"/planner/clusters?site_id={account.site}&sector_id={account.sector}")
        members = Counter(k.get("cluster_id") for k in keywords)
        wrong = [(c["id"], c["keywords_count"], members[c["id"]]) for c in clusters
                 if c["keywords_count"] != members[c["id"]]]
        check(not wrong, f"account {n}: each cluster's keywords_count = its keywords ({len(clusters)} clusters)",
              f"{len(wrong)} differ (id, keywords_count, keywords): {wrong[:5]}")

    if failures:
        print(f"\n{len(failures)} invariant(s) broken")
        return 1
    print("\nAll invariants hold.")
    return 0


def warm(api, seconds):
    run = uuid.uuid4().hex[:8]
    account = Account(api, 0, run)
    on_plan(account.account_id, "scale")  # the creates below pass the trial plan's 1 000
    scope = f"site_id={account.site}&sector_id={account.sector}"
    counter = iter(range(10 ** 9))
    lock = threading.Lock()

    def create():
        with lock:
            n = next(counter)
        return "keywords.create", "POST", "/planner/keywords", {
            "site_id": account.site, "sector_id": account.sector, "keyword": f"warm keyword {run} {n}",
            "volume": n % 10000, "difficulty": n % 101}

    requests = (
        ("GET /auth/me", lambda: ("auth.me", "GET", "/auth/me", None)),
        (f"GET /planner/keywords (page of 25, {account.starting_keywords} keywords in the sector)",
         lambda: ("keywords.list", "GET", f"/planner/keywords?{scope}&page_size=25", None)),
        ("POST /planner/keywords (a new keyword each)", create),
    )
    print(f"Warm: one account, one site and sector; {seconds:.0f} s per row; "
          f"latency in ms, all answers {{status: count}}")
    print(f"  {'request':<66} {'clients':>7} {'req/s':>7} {'p50':>7} {'p99':>7} {'own p50':>7} {'own p99':>7}"
          "  answers; CPU s")
    total = CpuWatch()
    total.start()
    failed = 0
    for label, make in requests:
        for clients in (1, 10, 50):
            api.records = []
            api.recording = True
            cpu = CpuWatch()
            cpu.start()
            deadline = time.monotonic() + seconds

            def client():
                while time.monotonic() < deadline:
                    group, method, path, body = make()
                    api.call(group, method, path, account.token, body)
            started = time.monotonic()
            run_clients([client] * clients)
            wall = time.monotonic() - started
            api.recording = False
            latencies = [record[2] * 1000 for record in api.records]
            # Our own time: the request's, less what it waited for the store.
            own = [(record[2] - record[5]) * 1000 for record in api.records]
            counts = dict(sorted(Counter(record[1] for record in api.records).items()))
            failed += sum(n for status, n in counts.items() if status == 0 or status >= 500)
            print(f"  {label:<66} {clients:>7} {len(api.records) / wall:>7.1f} {percentile(latencies, 0.5):>7.1f} "
                  f"{percentile(latencies, 0.99):>7.1f} {percentile(own, 0.5):>7.1f} {percentile(own, 0.99):>7.1f}  {counts}; "
                  + ", ".join(f"{name} {spent:.1f}" for name, spent in cpu.spent().items()), flush=True)
    print("  " + total.report())
    if failed:
        print(f"{failed} requests answered 5xx or not at all (0 above)")
        return 1
    return 0


def on_plan(account_id, plan_id):
    """Moves the account to another plan, as support would (there is no API for it), in
    the emulator's table."""
    import boto3  # installed with the emulator
    table = boto3.resource("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                           region_name=os.environ.get("AWS_REGION", "us-east-1")).Table(os.environ["TABLE_NAME"])
    table.update_item(Key={"PK": f"ACCOUNT#{account_id}", "SK": "ACCOUNT"},
                      UpdateExpression="SET plan_id = :p", ExpressionAttributeValues={":p": plan_id})


def timed_get(api, path, token, timeout=TIMEOUT):
    """(total ms, the store's Server-Timing fields) of one GET."""
    conn = http.client.HTTPConnection(api.host, api.port, timeout=timeout)
    started = time.perf_counter()
    conn.request("GET", api.prefix + path, headers={"authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    total = (time.perf_counter() - started) * 1000
    conn.close()
    if response.status != 200:
        sys.exit(f"GET {path}: {response.status}")
    return total, timing(response.getheader("server-timing"))


def lists(api, keywords):
    """What one page of each list costs with `keywords` keywords in a sector: items and
    bytes the store read, its time, and the request's own time (the rest)."""
    run = uuid.uuid4().hex[:8]
    account = Account(api, 0, run)
    on_plan(account.account_id, "scale")  # the trial plan holds 1 000 keywords
    token, scope = account.token, f"site_id={account.site}&sector_id={account.sector}"
    have = account.starting_keywords
    batch = 10_000
    while have < keywords:
        rows = [(f"bench keyword {run} {i}", (i * 37) % 50_000, i % 101, INTENTS[i % 4])
                for i in range(have, min(keywords, have + batch))]
        report = expect(api.call("setup", "POST", f"/planner/keywords/import_csv?{scope}", token,
                                 raw=csv_body(rows), content_type="text/csv"), 201)["data"]
        have += report["created"]
    # A cluster of the 100 newest keywords (read from the sector's index).
    newest = expect(api.call("setup", "GET", f"/planner/keywords?{scope}&page_size=100", token), 200)
    cluster = expect(api.call("setup", "POST", "/planner/clusters", token,
                              body={"site_id": account.site, "sector_id": account.sector, "name": f"bench {run}"}), 201)
    cluster_id = cluster["data"]["id"]
    ids = [k["id"] for k in newest["results"]]
    expect(api.call("setup", "POST", f"/planner/clusters/{cluster_id}/keywords", token, body={"keyword_ids": ids}), 200)
    default = f"/planner/keywords?{scope}&page_size=25"
    first = expect(api.call("setup", "GET", default, token), 200)
    second_page = "/planner" + first["next"].split("/planner", 1)[1]
    pages = (
        ("default page (25, newest first)", default),
        ("the next page (its cursor)", second_page),
        ("one cluster's (100 keywords)", f"{default}&cluster_id={cluster_id}"),
        ("filtered by status", f"{default}&status=active"),
        ("filtered by intent", f"{default}&intent=commercial"),
        ("ordered by volume", f"{default}&ordering=-volume"),
        ("ordered by difficulty", f"{default}&ordering=difficulty"),
        ("site-wide (newest first)", f"/planner/keywords?site_id={account.site}&page_size=25"),
        ("site-wide, filtered by status", f"/planner/keywords?site_id={account.site}&page_size=25&status=active"),
        ("page 40 (by number)", f"{default}&page=40"),
        ("search (no index)", f"{default}&search=keyword%2012"),
        ("status and intent (no index)", f"{default}&status=active&intent=commercial"),
    )
    print(f"Keyword list pages with {have} keywords in the sector (median of 5, or one run when over 10 s; ms)")
    print(f"  {'page':<34} {'items read':>10} {'bytes read':>11} {'total':>8} {'store':>8} {'own':>8}")
    for label, path in pages:
        # Five runs and their median; a page that takes the emulator more than 10 s (the
        # whole scope's summaries at 100 000 keywords) once.
        runs = [timed_get(api, path, token, timeout=1800)]
        if runs[0][0] < 10_000:
            runs += [timed_get(api, path, token) for _ in range(4)]
        runs.sort(key=lambda r: r[0])
        total, fields = runs[len(runs) // 2]
        store = fields.get("store", 0.0)
        print(f"  {label:<34} {fields.get('items', 0):>10.0f} {fields.get('bytes', 0):>11.0f} "
              f"{total:>8.1f} {store:>8.1f} {total - store:>8.1f}", flush=True)
    return 0


def main():
    base, scenario = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "mix"
    api = Api(base)
    for _ in range(600):
        if api.call("setup", "GET", "/system/status")[0] == 200:
            break
        time.sleep(0.2)
    else:
        sys.exit("the gateway did not answer /system/status")
    clients = int(os.environ.get("LOAD_CLIENTS", "50"))
    if scenario == "mix":
        seconds = float(os.environ.get("LOAD_SECONDS", "60"))
        return mix(api, clients, seconds, int(os.environ.get("LOAD_ACCOUNTS", "5")))
    if scenario == "warm":
        return warm(api, float(os.environ.get("LOAD_SECONDS", "10")))
    if scenario == "lists":
        return lists(api, int(os.environ.get("LOAD_KEYWORDS", "10000")))
    sys.exit(f"unknown scenario {scenario!r}: mix, warm or lists")


if __name__ == "__main__":
    sys.exit(main())
