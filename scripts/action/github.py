#!/usr/bin/env python3
"""The GitHub API calls of the bcprune action (action.yml), standard library only.

  github.py comment BODY_FILE   create or update the one sticky pull-request comment whose first line
                                is BODY_FILE's marker (`<!-- bcprune:plan store=HASH -->`, or
                                `<!-- bcprune:apply store=HASH -->` for what apply did); the pull request
                                is BCPRUNE_PR, else the event's
  github.py plan-source FILE    record in FILE the pull request, base branch, head commit and workflow
                                of this pull_request run's plan (uploaded with it)
  github.py find-plan NAME      find the run of this workflow holding the plan artifact NAME-prN of the
                                pull request N merged as this commit (GITHUB_SHA) into this branch
                                (GITHUB_REF_NAME); print its run id; exit 3 when there is none
  github.py check-plan FILE     exit 3 unless the downloaded plan's source FILE names the merged pull
                                request (BCPRUNE_PR), base branch, head commit and workflow

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
MARKER = re.compile(r"^<!-- bcprune:(plan|apply) store=[A-Za-z0-9_-]+ -->$")


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
        fail(f"{body_file} does not start with a bcprune plan or apply marker")
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


REFUSED = 3  # bcprune's "refused, nothing deleted" (PRODUCT.md exit codes)


def refuse(message):
    """A plan that is not the merged pull request's own: exit 3, nothing deleted, say how to re-plan."""
    print(f"::error title=bcprune::{scrub(message)} Nothing was deleted. To re-plan, open a pull request "
          "into this branch touching the manifest, review its plan and merge it.", file=sys.stderr)
    sys.exit(REFUSED)


def workflow_path():
    # owner/repo/.github/workflows/bcprune.yml@refs/heads/main -> .github/workflows/bcprune.yml
    workflow_ref = os.environ.get("GITHUB_WORKFLOW_REF", "")
    return workflow_ref.split("@", 1)[0].split("/", 2)[-1] if workflow_ref else ""


def plan_artifact(name, number):
    """The plan artifact's name on pull request NUMBER: a run for another pull request of the same
    commit (a second pull request from the same branch) uploads another name."""
    return f"{name}-pr{number}"


def write_output(key, value):
    path = os.environ.get("GITHUB_OUTPUT", "")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{key}={value}\n")


def plan_source(out_file):
    """Record, beside the saved plan, which pull request, base branch, head commit and workflow it was
    made for (from this pull_request run's event): `check-plan` compares it with the merged one."""
    event_path = os.environ.get("GITHUB_EVENT_PATH", "")
    event = {}
    if event_path and os.path.exists(event_path):
        with open(event_path, encoding="utf-8") as f:
            event = json.load(f)
    pull = event.get("pull_request") or {}
    if not pull.get("number"):
        print("Not a pull request: no plan source recorded.", file=sys.stderr)
        return
    source = {
        "pull_request": int(pull["number"]),
        "base_ref": (pull.get("base") or {}).get("ref", ""),
        "head_sha": (pull.get("head") or {}).get("sha", ""),
        "workflow": workflow_path(),
        "run_id": os.environ.get("GITHUB_RUN_ID", ""),
    }
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(source, f, sort_keys=True)
        f.write("\n")


def merged_pull():
    """The pull request whose merge is this push: merged into this branch as this very commit."""
    sha = os.environ.get("GITHUB_SHA", "")
    branch = os.environ.get("GITHUB_REF_NAME", "")
    if not sha or not branch or not workflow_path():
        fail("GITHUB_SHA, GITHUB_REF_NAME and GITHUB_WORKFLOW_REF must be set (run apply on a push to the branch)")
    pulls = [
        p for p in api("GET", f"/repos/{repo()}/commits/{sha}/pulls") or []
        if p.get("merged_at") and p.get("merge_commit_sha") == sha
        and (p.get("base") or {}).get("ref") == branch
    ]
    if not pulls:
        refuse(f"commit {sha[:12]} is not the merge of a pull request into {branch}: only the plan reviewed "
               "on the merged pull request is applied.")
    if len(pulls) > 1:
        numbers = ", ".join(f"#{p['number']}" for p in pulls)
        refuse(f"commit {sha[:12]} is the merge of several pull requests ({numbers}): which plan was "
               "reviewed is ambiguous.")
    return pulls[0]


def find_plan(artifact):
    """Print the run id of the newest completed run of this workflow on the merged pull request's head
    commit holding that pull request's own plan artifact; write run-id, artifact, pull-request, base-ref,
    head-sha to GITHUB_OUTPUT."""
    pull = merged_pull()
    number = int(pull["number"])
    head = pull["head"]["sha"]
    base = pull["base"]["ref"]
    workflow = workflow_path()
    wanted = plan_artifact(artifact, number)
    runs = [
        r for r in pages(f"/repos/{repo()}/actions/runs?event=pull_request&head_sha={head}")
        if r.get("path") == workflow and r.get("status") == "completed"
        and r.get("event") == "pull_request" and r.get("head_sha") == head
    ]
    runs.sort(key=lambda r: (r.get("created_at", ""), r.get("id", 0)), reverse=True)
    for run in runs:
        names = {a.get("name") for a in pages(f"/repos/{repo()}/actions/runs/{run['id']}/artifacts")
                 if not a.get("expired")}
        if wanted in names:
            print(f"Applying the plan reviewed on pull request #{number} into {base} "
                  f"(run {run['id']}, commit {head[:12]}, {workflow}).", file=sys.stderr)
            for key, value in (("run-id", run["id"]), ("artifact", wanted), ("pull-request", number),
                               ("base-ref", base), ("head-sha", head)):
                write_output(key, value)
            print(run["id"])
            return
    refuse(f"no plan artifact '{wanted}' from {workflow} for pull request #{number} into {base} "
           f"(commit {head[:12]}).")


def check_plan(source_file):
    """The downloaded plan's recorded source must be the merged pull request's: its number, base branch,
    head commit and workflow (BCPRUNE_PR, BCPRUNE_BASE_REF, BCPRUNE_HEAD_SHA, GITHUB_WORKFLOW_REF)."""
    number = os.environ.get("BCPRUNE_PR", "")
    expected = {
        "pull_request": int(number) if number.isdigit() else 0,
        "base_ref": os.environ.get("BCPRUNE_BASE_REF", ""),
        "head_sha": os.environ.get("BCPRUNE_HEAD_SHA", ""),
        "workflow": workflow_path(),
    }
    if not all(expected.values()):
        fail("BCPRUNE_PR, BCPRUNE_BASE_REF, BCPRUNE_HEAD_SHA and GITHUB_WORKFLOW_REF must be set")
    try:
        with open(source_file, encoding="utf-8") as f:
            source = json.load(f)
    except (OSError, ValueError) as err:
        refuse(f"the plan artifact does not say which pull request it was made for ({source_file}: {err}).")
    if not isinstance(source, dict):
        source = {}
    wrong = [f"{key} {source.get(key)!r}, not {value!r}" for key, value in expected.items()
             if source.get(key) != value]
    if wrong:
        refuse(f"the downloaded plan was not made for pull request #{expected['pull_request']} into "
               f"{expected['base_ref']}: its {'; '.join(wrong)}.")
    print(f"The plan was made on pull request #{expected['pull_request']} into {expected['base_ref']} "
          f"at {expected['head_sha'][:12]} by {expected['workflow']}.", file=sys.stderr)


def main(argv):
    if len(argv) == 3 and argv[1] == "comment":
        comment(argv[2])
    elif len(argv) == 3 and argv[1] == "find-plan":
        find_plan(argv[2])
    elif len(argv) == 3 and argv[1] == "plan-source":
        plan_source(argv[2])
    elif len(argv) == 3 and argv[1] == "check-plan":
        check_plan(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
