//! What a user sees when the store cannot be reached safely: plain `http://` to another machine is
//! refused before any request (issue 9.2), and a closed port is given up quickly with every retry
//! announced on stderr without `-v` (issue 9.13).

use crate::support::{Workspace, bcprune, manifest_yaml};
use bcprune::api::RetryPolicy;

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn a_closed_port_fails_the_plan_quickly_announcing_each_retry_on_stderr() {
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let retry = "max_attempts=10,base_ms=1,cap_ms=4";
    let output = bcprune()
        .env(
            "BIGCOMMERCE_API_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .env("BIGCOMMERCE_ACCESS_TOKEN", "tok-SECRET")
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .env("BCPRUNE_RETRY", retry)
        .arg("plan")
        .arg(&manifest)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let waits = RetryPolicy::parse(retry).expect("policy").connect_waits();
    let announced: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("retrying in"))
        .collect();
    assert_eq!(announced.len(), waits.len(), "{stderr}");
    for (n, line) in announced.iter().enumerate() {
        assert!(
            line.contains(&format!("attempt {} failed (could not connect", n + 1)),
            "{line}"
        );
    }
    assert!(
        stderr.contains(&format!("failed after {} attempts", waits.len() + 1)),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_request() {
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    // Were the refusal to regress, the request would go to this closed local proxy, never out.
    let proxy = format!("http://127.0.0.1:{}", closed_port());
    let output = bcprune()
        .env("BIGCOMMERCE_API_URL", "http://api.bigcommerce.com")
        .env("BIGCOMMERCE_ACCESS_TOKEN", "tok-SECRET")
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .env("BCPRUNE_RETRY", "max_attempts=1")
        .env("BCPRUNE_TIMEOUT_MS", "500")
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .arg("plan")
        .arg(&manifest)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refusing plain http://"), "{stderr}");
    assert!(
        !stderr.contains("could not connect"),
        "nothing was sent: {stderr}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

/// Issue 9.1: a store (or a gateway in front of it) that quotes the request's token back in a 403
/// must not get it written anywhere: not on stdout or stderr, at any verbosity, not in the audit
/// log's `batch_failed` line (which CI commits to git), not in the state.
#[test]
fn a_token_the_store_echoes_in_a_403_reaches_no_output_and_no_file() {
    use crate::support::{bcprune_at, store};
    let sim = store(5);
    sim.faults().echo_token(true);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    for verbosity in [None, Some("-vvv")] {
        let mut cmd = bcprune_at(&sim);
        cmd.args(["apply", "--auto-approve"]).arg(&manifest);
        if let Some(flag) = verbosity {
            cmd.arg(flag).env("RUST_LOG", "trace");
        }
        let output = cmd.output().expect("run");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
        assert!(
            stderr.contains("lacks the modify scope") || stdout.contains("lacks the modify scope"),
            "the API's message is still shown, scrubbed: {stdout}\n{stderr}"
        );
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text.contains(bcprune::sim::READ_WRITE_TOKEN),
                "the token is on {what}: {text}"
            );
        }
    }
    for entry in std::fs::read_dir(ws.path()).expect("list") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !text.contains(bcprune::sim::READ_WRITE_TOKEN),
            "the token is in {}: {text}",
            path.display()
        );
    }
    let audit = std::fs::read_to_string(ws.path().join("bcprune.audit.jsonl")).expect("audit log");
    assert!(
        audit.contains("batch_failed"),
        "the failure is recorded: {audit}"
    );
    assert!(sim.customer_ids().contains(&1), "nothing was deleted");
}
