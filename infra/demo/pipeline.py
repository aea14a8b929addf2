#!/usr/bin/env python3
"""Runs the whole content pipeline against a running local stack (infra/run-local.sh),
with the offline provider: register, import keywords.csv, cluster, generate ideas,
queue tasks, write articles, make image prompts and images, then show the credits spent.
With a WordPress (IGNY8_DEMO_WORDPRESS, the JSON of `infra/wordpress/site.sh start`, as
`run-local.sh --demo` passes it), it then connects the site to it, publishes every
article and reads each post back from WordPress's REST API.

    python3 infra/demo/pipeline.py [BASE_URL]     # default http://127.0.0.1:8000/api/v1

Only the Python standard library is used. Generated images are saved under
target/demo/ (their bytes come from the local bucket through signed URLs).
"""

import base64
import html
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("IGNY8_API", "http://127.0.0.1:8000/api/v1")).rstrip("/")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "target", "demo")


def call(method, path, token=None, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", content_type)
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def expect(status, reply, wanted):
    if status != wanted:
        sys.exit(f"expected {wanted}, got {status}: {json.dumps(reply)}")
    return reply


def run_job(token, path, body, label):
    job = expect(*call("POST", path, token, body), 202)["data"]
    for _ in range(600):
        view = expect(*call("GET", f"/system/jobs/{job['id']}/", token), 200)["data"]
        if view["state"] in ("done", "failed"):
            progress = view["progress"]
            print(f"  {label:<22} {view['state'].upper():<6} {progress['done']}/{progress['total']} items, "
                  f"{view['credits']} credits, {view['tokens']['input']}+{view['tokens']['output']} tokens")
            if view["state"] == "failed":
                sys.exit(f"job failed: {view['reason']}")
            return view
        time.sleep(0.2)
    sys.exit(f"job {job['id']} did not finish")


def ids(reply):
    return [item["id"] for item in reply["results"]]


def wordpress_get(wordpress, route):
    """GET a REST route of the WordPress as its admin (application password)."""
    request = urllib.request.Request(f"{wordpress['url']}/?rest_route={route}")
    login = f"{wordpress['admin_user']}:{wordpress['app_password']}".encode()
    request.add_header("authorization", "Basic " + base64.b64encode(login).decode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def publish_to_wordpress(token, site, scope, wordpress):
    """Connects the site (rest mode, the admin's application password), publishes every
    article in one job and reads each post back from WordPress."""
    expect(*call("POST", "/integration/integrations/", token, {
        "site_id": site["id"], "site_url": wordpress["url"], "mode": "rest",
        "username": wordpress["admin_user"], "app_password": wordpress["app_password"]}), 201)
    print(f"  connected WordPress    {wordpress['url']} (REST API, as {wordpress['admin_user']})")
    content = expect(*call("GET", f"/writer/content/?{scope}&page_size=50", token), 200)
    job = run_job(token, "/writer/content/bulk_publish/", {"ids": ids(content), "status": "publish"}, "bulk_publish")
    print(f"WordPress admin: {wordpress['url']}/wp-admin/ as {wordpress['admin_user']} / {wordpress['admin_password']}")
    print("Posts, as WordPress's REST API shows them:")
    for item in job["progress"]["items"]:
        post_id = item["results"][0]
        post = wordpress_get(wordpress, f"/wp/v2/posts/{post_id}")
        ours = expect(*call("GET", f"/writer/content/{item['id']}/", token), 200)["data"]
        if ours["external_url"] != post["link"]:
            sys.exit(f"content {item['id']} has external_url {ours['external_url']}, WordPress says {post['link']}")
        print(f"  post {post_id} ({post['status']}) {html.unescape(post['title']['rendered'])!r}")
        print(f"    {post['link']}")


def main():
    status, health = call("GET", "/system/status/")
    if status != 200:
        sys.exit(f"no local stack at {BASE}: start it with infra/run-local.sh")
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    account = expect(*call("POST", "/auth/register/", body={
        "email": email, "password": "a long demo password", "account_name": "Pipeline demo"}), 201)["data"]
    token = account["access"]
    site = expect(*call("POST", "/auth/sites/", token, {"name": "Demo site", "domain": "demo.example.com"}), 201)["data"]
    sector = expect(*call("POST", "/auth/sectors/", token, {"site_id": site["id"], "name": "Everything"}), 201)["data"]
    scope = f"site_id={site['id']}&sector_id={sector['id']}"
    print(f"Account {email}: site {site['id']}, sector {sector['id']}")

    with open(os.path.join(HERE, "keywords.csv"), "rb") as csv_file:
        imported = expect(*call("POST", f"/planner/keywords/import_csv/?{scope}", token, raw=csv_file.read(),
                                content_type="text/csv"), 201)["data"]
    print(f"  imported               {imported['created']} keywords")
    keywords = expect(*call("GET", f"/planner/keywords/?{scope}&page_size=200", token), 200)

    run_job(token, "/planner/keywords/auto_cluster/", {"ids": ids(keywords)}, "auto_cluster")
    clusters = expect(*call("GET", f"/planner/clusters/?{scope}", token), 200)
    for cluster in clusters["results"]:
        print(f"    cluster {cluster['name']!r}: {cluster['keywords_count']} keywords, volume {cluster['volume']}")

    run_job(token, "/planner/clusters/generate_ideas/", {"ids": ids(clusters), "ideas_per_cluster": 2}, "generate_ideas")
    ideas = expect(*call("GET", f"/planner/ideas/?{scope}", token), 200)
    chosen = ids(ideas)[:3]
    tasks = expect(*call("POST", "/planner/ideas/queue_to_writer/", token, {"ids": chosen}), 201)["data"]["tasks"]
    print(f"  queued to writer       {len(tasks)} tasks")

    run_job(token, "/writer/tasks/generate_content/", {"ids": [t["id"] for t in tasks]}, "generate_content")
    content = expect(*call("GET", f"/writer/content/?{scope}", token), 200)
    for article in content["results"]:
        print(f"    article {article['title']!r}: {article['word_count']} words, /{article['slug']}")

    run_job(token, "/writer/content/generate_image_prompts/", {"ids": ids(content)}, "generate_image_prompts")
    images = expect(*call("GET", f"/writer/images/?{scope}&page_size=200", token), 200)
    run_job(token, "/writer/images/generate_images/", {"ids": ids(images)}, "generate_images")

    os.makedirs(OUT, exist_ok=True)
    images = expect(*call("GET", f"/writer/images/?{scope}&page_size=200", token), 200)
    for image in images["results"]:
        with urllib.request.urlopen(image["image_url"], timeout=30) as response:
            path = os.path.join(OUT, f"{image['id']}.png")
            with open(path, "wb") as out:
                out.write(response.read())
    print(f"  saved {len(images['results'])} images from the bucket to {os.path.normpath(OUT)}/")

    balance = expect(*call("GET", "/billing/balance/", token), 200)["data"]
    summary = expect(*call("GET", "/billing/usage/summary/", token), 200)["data"]
    print(f"Credits left: {balance['credits']}")
    for row in summary["by_operation"]:
        print(f"  {row['operation']:<24} {row['credits']:>4} credits in {row['count']} charges")

    if os.environ.get("IGNY8_DEMO_WORDPRESS"):
        publish_to_wordpress(token, site, scope, json.loads(os.environ["IGNY8_DEMO_WORDPRESS"]))


if __name__ == "__main__":
    main()
