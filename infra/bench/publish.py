#!/usr/bin/env python3
"""Publishing benchmark (not a test), run by infra/bench/publish.sh against the local
gateway and a real local WordPress: 50 articles of about 1 500 words (h2 sections), each
with a featured and two in-article images (256x256 PNGs of about 20 KB), published in
one bulk job with status publish. Prints articles per minute, the time WordPress took
(the sum of the job's sync-log durations), our own time per article, the CPU time each
process spent during the job, and what WordPress holds afterwards (read back from its
REST API: 50 new posts, 150 new media items).

    IGNY8_BENCH_WORDPRESS='{"url": ..., "admin_user": ..., "app_password": ...}' \\
    IGNY8_BENCH_PROCESSES='gateway=PID emulator=PID wordpress=-PGID ...' \\
        python3 infra/bench/publish.py BASE_URL

IGNY8_BENCH_PROCESSES is optional (Linux: read from /proc); a negative number names a
process group (PHP's built-in server and its workers).

Only the Python standard library is used.
"""

import base64
import datetime
import json
import os
import random
import struct
import sys
import time
import urllib.request
import uuid
import zlib
from collections import defaultdict

# The demo's HTTP helpers (`call`, `expect`), reading the same base URL from argv.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo"))
from pipeline import call, expect  # noqa: E402

ARTICLES = 50
IMAGES = ("featured", "in_article", "in_article")
WORDS = ("the of and to a in that is for it as with was on be by this are or from at have an "
         "which one you all were her she there would their we him been has when who will more no "
         "if out so said what up its about into than them can only other new some could time these "
         "two may then do first any my now such like our over man me even most made after also did "
         "many before must through back years where much your way well down should because each just "
         "those people how too little state good very make world still own see men work long get here "
         "between both life being under never day same another know while last might us great old year "
         "off come since against go came right used take three coffee bread running garden travel "
         "recipe guide budget season review choice method beginner expert tools quality").split()


def wordpress_total(wordpress, route):
    """X-WP-Total of a REST collection, read as the WordPress admin."""
    request = urllib.request.Request(f"{wordpress['url']}/?rest_route={route}&per_page=1")
    login = f"{wordpress['admin_user']}:{wordpress['app_password']}".encode()
    request.add_header("authorization", "Basic " + base64.b64encode(login).decode())
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.headers["X-WP-Total"])


def cpu_seconds(target):
    """User + system CPU time of a process (all its threads), or of every process of a
    group when `target` is negative; None without /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, found = 0, False
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit() or (target > 0 and int(entry) != target):
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, ppid, pgrp, ..., utime (12th), stime (13th).
        if target < 0 and int(fields[2]) != -target:
            continue
        total += int(fields[11]) + int(fields[12])
        found = True
    return total / ticks if found else None


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def processes():
    """name -> pid (negative: process group) from IGNY8_BENCH_PROCESSES."""
    named = {}
    for pair in os.environ.get("IGNY8_BENCH_PROCESSES", "").split():
        name, _, pid = pair.partition("=")
        if pid.lstrip("-").isdigit() and int(pid) != 0:
            named[name] = int(pid)
    return named


def article_html(rng, n):
    """About 1 500 words: an introduction and six h2 sections of two paragraphs."""
    def paragraph(words):
        text = " ".join(rng.choice(WORDS) for _ in range(words))
        return f"<p>{text[0].upper()}{text[1:]}.</p>"
    parts = [paragraph(90)]
    for section in range(1, 7):
        parts.append(f"<h2>Part {section} of article {n}</h2>")
        parts.append(paragraph(120))
        parts.append(paragraph(115))
    return "\n".join(parts)


def png(seed):
    """A valid 256x256 RGB PNG of about 20 KB: coloured tiles with some noise."""
    rng = random.Random(seed)
    width = height = 256
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            tile = x // 32 + (y // 32) * 8 + seed
            for channel in ((tile * 71) % 256, (tile * 113) % 256, (tile * 29) % 256):
                rows.append((channel + rng.randrange(32)) % 256 if rng.random() < 0.03 else channel)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
            + chunk(b"IEND", b""))


def main():
    wordpress = json.loads(os.environ["IGNY8_BENCH_WORDPRESS"])
    started = time.monotonic()
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    account = expect(*call("POST", "/auth/register/", body={
        "email": email, "password": "a long benchmark password", "account_name": "Publishing benchmark"}), 201)["data"]
    token = account["access"]
    site = expect(*call("POST", "/auth/sites/", token, {"name": "Bench site", "domain": "bench.example.com"}), 201)["data"]
    sector = expect(*call("POST", "/auth/sectors/", token, {"site_id": site["id"], "name": "Everything"}), 201)["data"]
    scope = {"site_id": site["id"], "sector_id": sector["id"]}

    rng = random.Random(2026)
    ids, words, image_bytes = [], 0, 0
    for n in range(1, ARTICLES + 1):
        content = expect(*call("POST", "/writer/content/", token, {
            **scope, "title": f"Benchmark article {n}: a guide in six parts", "html": article_html(rng, n),
            "meta_title": f"Benchmark article {n}", "meta_description": f"Article {n} of the publishing benchmark.",
            "primary_keyword": f"benchmark {n}"}), 201)["data"]
        ids.append(content["id"])
        words += content["word_count"]
        for position, kind in enumerate(IMAGES):
            image = expect(*call("POST", "/writer/images/", token, {
                **scope, "content_id": content["id"], "image_type": kind, "prompt": f"picture {position}",
                "alt_text": f"Article {n}, picture {position}", "position": position}), 201)["data"]
            data = png(n * 10 + position)
            image_bytes += len(data)
            expect(*call("POST", f"/writer/images/{image['id']}/upload/", token, raw=data,
                         content_type="image/png"), 200)
    print(f"Created {ARTICLES} articles ({words // ARTICLES} words on average) with {ARTICLES * len(IMAGES)} "
          f"images ({image_bytes // (ARTICLES * len(IMAGES)) // 1000} KB on average) "
          f"in {time.monotonic() - started:.1f} s")

    expect(*call("POST", "/integration/integrations/", token, {
        "site_id": site["id"], "site_url": wordpress["url"], "mode": "rest",
        "username": wordpress["admin_user"], "app_password": wordpress["app_password"]}), 201)

    posts_before = wordpress_total(wordpress, "/wp/v2/posts")  # WordPress's own sample post
    media_before = wordpress_total(wordpress, "/wp/v2/media")
    watched = processes()
    cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
    job = expect(*call("POST", "/writer/content/bulk_publish/", token, {"ids": ids, "status": "publish"}), 202)["data"]
    accepted = time.monotonic()
    # Once a second: each look is a read on the emulator, which the publisher waits on too.
    while True:
        time.sleep(1)
        view = expect(*call("GET", f"/system/jobs/{job['id']}/", token), 200)["data"]
        if view["state"] in ("done", "failed"):
            break
        if time.monotonic() - accepted > 3600:
            sys.exit(f"job {job['id']} still {view['state']} after an hour")
    # Created (just before the 202) to finished, by the server's clock, in milliseconds.
    wall = (timestamp(view["finished_at"]) - timestamp(view["created_at"])).total_seconds()
    cpu_after = {name: cpu_seconds(pid) for name, pid in watched.items()}
    progress = view["progress"]
    if view["state"] != "done" or progress["done"] != ARTICLES:
        sys.exit(f"job {view['state']}: {progress['done']}/{progress['total']} done, {view['reason']}")

    calls = []
    page = 1
    while True:
        logs = expect(*call("GET", f"/integration/sync-logs/?site_id={site['id']}&job_id={job['id']}"
                                   f"&page_size=200&page={page}", token), 200)
        calls += logs["results"]
        if not logs.get("next"):
            break
        page += 1
    wordpress_ms = sum(entry["duration_ms"] for entry in calls)
    by_action = defaultdict(lambda: [0, 0])
    for entry in calls:
        by_action[entry["action"]][0] += 1
        by_action[entry["action"]][1] += entry["duration_ms"]
    failed_calls = [entry for entry in calls if not entry["ok"]]

    posts = wordpress_total(wordpress, "/wp/v2/posts") - posts_before
    media = wordpress_total(wordpress, "/wp/v2/media") - media_before

    ours = (wall - wordpress_ms / 1000) / ARTICLES
    print(f"Published {ARTICLES} articles in one job: {wall:.1f} s from the 202 to the job done "
          f"(its created_at to its finished_at)")
    print(f"  articles per minute       {ARTICLES / wall * 60:.1f}")
    print(f"  WordPress time            {wordpress_ms / 1000:.1f} s in {len(calls)} calls "
          f"({len(failed_calls)} failed and retried)")
    for action, (count, ms) in sorted(by_action.items(), key=lambda item: -item[1][1]):
        print(f"    {action:<22} {count:>4} calls, {ms / 1000:6.1f} s, {ms / count:5.0f} ms each")
    print(f"  our time per article      {ours * 1000:.0f} ms (wall time less WordPress time, / {ARTICLES})")
    cpu = [f"{name} {cpu_after[name] - cpu_before[name]:.1f} s" for name in watched
           if cpu_before[name] is not None and cpu_after[name] is not None]
    if cpu:
        print(f"  CPU time during the job   {', '.join(cpu)} ({os.cpu_count()} cores)")
    print(f"  on WordPress afterwards   {posts} new posts, {media} new media items (read back from its REST API)")
    print("The gateway is a debug build and the emulator (moto) is slow: our time per article is "
          "mostly the emulator's.")
    if posts != ARTICLES or media != ARTICLES * len(IMAGES):
        sys.exit(f"expected {ARTICLES} new posts and {ARTICLES * len(IMAGES)} new media items on WordPress")


if __name__ == "__main__":
    main()
