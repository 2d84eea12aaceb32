#!/usr/bin/env python3
"""The GitHub API calls of the bcprune action (action.yml), standard library only.

  github.py comment BODY_FILE   create or update the one sticky pull-request comment whose first line
                                is BODY_FILE's marker (`<!-- bcprune:plan store=HASH -->`)
  github.py find-plan NAME      find the pull-request run whose plan artifact NAME was reviewed for the
                                commit being applied (GITHUB_SHA, a merge to main); print its run id

The token comes from the environment (GITHUB_TOKEN) and goes only into an Authorization header: never
onto a command line, never into output (it is scrubbed from any message printed). Every loop is bounded.
"""

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

MAX_PAGES = 20
TIMEOUT_S = 30
MARKER = re.compile(r"^<!-- bcprune:plan store=[A-Za-z0-9_-]+ -->$")


def token():
    value = os.environ.get("GITHUB_TOKEN", "")
    if not value:
        fail("GITHUB_TOKEN is not set: give the action `github-token` (default: the job's GITHUB_TOKEN)")
    return value


def scrub(text):
    value = os.environ.get("GITHUB_TOKEN", "")
    return text.replace(value, "***") if value else text


def fail(message):
    print(f"::error title=bcprune::{scrub(message)}", file=sys.stderr)
    sys.exit(1)


def api(method, path, body=None):
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token()}")
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    request.add_header("User-Agent", "bcprune-action")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")[:500]
        hint = ""
        if err.code in (401, 403, 404):
            hint = " (check the job's `permissions:`; a pull request from a fork gets a read-only token)"
        fail(f"{method} {path}: HTTP {err.code}: {detail}{hint}")
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        fail(f"{method} {path}: {err}")
    return json.loads(raw) if raw else None


def pages(path):
    """Every item of a paginated list, at most MAX_PAGES pages of 100."""
    sep = "&" if "?" in path else "?"
    for page in range(1, MAX_PAGES + 1):
        items = api("GET", f"{path}{sep}per_page=100&page={page}")
        if isinstance(items, dict):  # {total_count, workflow_runs: [...]} and the like
            items = next((v for v in items.values() if isinstance(v, list)), [])
        yield from items
        if len(items) < 100:
            return


def repo():
    value = os.environ.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
        fail("GITHUB_REPOSITORY is not set (owner/name)")
    return value


def pull_request_number():
    if os.environ.get("BCPRUNE_PR"):
        return int(os.environ["BCPRUNE_PR"])
    event_path = os.environ.get("GITHUB_EVENT_PATH", "")
    if event_path and os.path.exists(event_path):
        with open(event_path, encoding="utf-8") as f:
            number = (json.load(f).get("pull_request") or {}).get("number")
        if number:
            return int(number)
    return None


def comment(body_file):
    with open(body_file, encoding="utf-8") as f:
        body = f.read()
    marker = body.split("\n", 1)[0].strip()
    if not MARKER.match(marker):
        fail(f"{body_file} does not start with the bcprune plan marker")
    number = pull_request_number()
    if number is None:
        print("Not a pull request: no comment posted.", file=sys.stderr)
        return
    author = os.environ.get("BCPRUNE_COMMENT_AUTHOR", "github-actions[bot]")
    path = f"/repos/{repo()}/issues/{number}/comments"
    mine = [
        c for c in pages(path)
        if c.get("body", "").split("\n", 1)[0].strip() == marker
        and (not author or (c.get("user") or {}).get("login") == author)
    ]
    if mine:
        comment_id = mine[0]["id"]
        api("PATCH", f"/repos/{repo()}/issues/comments/{comment_id}", {"body": body})
        print(f"Updated the plan comment {comment_id} on pull request #{number}.", file=sys.stderr)
    else:
        created = api("POST", path, {"body": body})
        print(f"Created the plan comment {created.get('id')} on pull request #{number}.", file=sys.stderr)


def find_plan(artifact):
    sha = os.environ.get("GITHUB_SHA", "")
    workflow_ref = os.environ.get("GITHUB_WORKFLOW_REF", "")
    # owner/repo/.github/workflows/bcprune.yml@refs/heads/main -> .github/workflows/bcprune.yml
    workflow = workflow_ref.split("@", 1)[0].split("/", 2)[-1] if workflow_ref else ""
    if not sha or not workflow:
        fail("GITHUB_SHA and GITHUB_WORKFLOW_REF must be set (run this on push to main)")
    pulls = [p for p in api("GET", f"/repos/{repo()}/commits/{sha}/pulls") or [] if p.get("merged_at")]
    if not pulls:
        fail(f"commit {sha[:12]} is not the merge of a pull request: only a reviewed plan is applied. "
             "Open a pull request with the manifest change and merge it.")
    pull = pulls[0]
    head = pull["head"]["sha"]
    runs = [
        r for r in pages(f"/repos/{repo()}/actions/runs?event=pull_request&head_sha={head}")
        if r.get("path") == workflow and r.get("status") == "completed"
    ]
    runs.sort(key=lambda r: (r.get("created_at", ""), r.get("id", 0)), reverse=True)
    for run in runs:
        names = {a.get("name") for a in pages(f"/repos/{repo()}/actions/runs/{run['id']}/artifacts")
                 if not a.get("expired")}
        if artifact in names:
            print(f"Applying the plan reviewed on pull request #{pull['number']} "
                  f"(run {run['id']}, commit {head[:12]}).", file=sys.stderr)
            print(run["id"])
            return
    fail(f"no plan artifact '{artifact}' from {workflow} for pull request #{pull['number']} "
         f"(commit {head[:12]}): nothing was deleted. Re-run the plan job on the pull request, "
         "or open a new one, review its plan and merge it.")


def main(argv):
    if len(argv) == 3 and argv[1] == "comment":
        comment(argv[2])
    elif len(argv) == 3 and argv[1] == "find-plan":
        find_plan(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
