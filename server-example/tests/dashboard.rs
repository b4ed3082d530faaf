//! The dashboard's access rules over plain HTTP (the browser suite in
//! server-example/browser drives the pages themselves), and the API's
//! acknowledge/resolve routes that share the pages' change.

mod support;
use support::*;

fn integrations(dir: &std::path::Path) -> String {
    let path = dir.join("integrations.toml");
    std::fs::write(
        &path,
        "[integrations.am]\nsource = \"alertmanager\"\nauth = \"bearer\"\nsecrets = [\"am-token\"]\n",
    )
    .unwrap();
    path.display().to_string()
}

fn no_redirects() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

#[test]
fn pages_need_a_login_and_carry_a_strict_csp() {
    let dir = temp_dir("dashboard");
    let file = integrations(&dir);
    let s = Server::start(&dir, &["--integrations", &file], &[]);
    for path in [
        "/",
        "/incidents",
        "/sessions/1",
        "/deliveries",
        "/playground",
    ] {
        let r = read(
            no_redirects()
                .get(&format!("{}{path}", s.base))
                .call()
                .unwrap(),
        );
        assert_eq!(r.status, 303, "{path}");
        assert!(r.header("location").unwrap().starts_with("/login?next="));
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    }
    // A forged form without a session changes nothing.
    let r = read(
        no_redirects()
            .post(&format!("{}/incidents/1/acknowledge", s.base))
            .content_type("application/x-www-form-urlencoded")
            .send("csrf=x")
            .unwrap(),
    );
    assert_eq!(r.status, 303);
    // The API's errors stay JSON.
    assert_eq!(get(&s, "/api/v1/nothing").json["code"], "not_found");
    // A wrong key at the login form is a 401 page.
    let login = read(agent().get(&format!("{}/login", s.base)).call().unwrap());
    assert_eq!(login.status, 200);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.split('=').nth(1).unwrap();
    let r = read(
        no_redirects()
            .post(&format!("{}/login", s.base))
            .header("cookie", &cookie)
            .content_type("application/x-www-form-urlencoded")
            .send(format!("key=wrong&csrf={token}&next=/"))
            .unwrap(),
    );
    assert_eq!(r.status, 401);
    let r = read(
        no_redirects()
            .post(&format!("{}/login", s.base))
            .header("cookie", &cookie)
            .content_type("application/x-www-form-urlencoded")
            .send(format!("key={KEY}&csrf={token}&next=//evil.example/"))
            .unwrap(),
    );
    assert_eq!(r.status, 303);
    // Never an open redirect.
    assert_eq!(r.header("location"), Some("/"));
    let set = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with("alertgate_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age=")
    );
    assert!(!set.contains("Secure"), "plain HTTP: no Secure flag");
}

#[test]
fn incidents_are_acknowledged_and_resolved_by_the_api() {
    let dir = temp_dir("ack");
    let file = integrations(&dir);
    let s = Server::start(
        &dir,
        &["--integrations", &file],
        &[("ALERTGATE_READ_KEYS", "ro")],
    );
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/alertmanager/firing_single.json"
    ))
    .unwrap();
    let r = post(
        &s,
        "/api/v1/integrations/am",
        &[
            ("Authorization", "Bearer am-token"),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    let id = r.json["results"][0]["incident_id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}/acknowledge");
    assert_eq!(
        post(&s, &path, &[("Authorization", "Bearer ro")], b"").status,
        401
    );
    let auth = format!("Bearer {KEY}");
    let r = post(&s, &path, &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["status"].as_str(), r.json["changed"].as_bool()),
        (Some("acknowledged"), Some(true))
    );
    let r = post(&s, &path, &[("Authorization", &auth)], b"");
    assert_eq!(r.json["changed"], false);
    let r = post(
        &s,
        &format!("/api/v1/incidents/{id}/resolve"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(r.json["status"], "resolved");
    let statuses: Vec<&str> = r.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["triggered", "acknowledged", "resolved"]);
    assert_eq!(
        post(
            &s,
            "/api/v1/incidents/999/resolve",
            &[("Authorization", &auth)],
            b""
        )
        .status,
        404
    );
}

/// Logged in, every page shows what is stored (on either store).
#[test]
fn logged_in_pages_show_what_is_stored() {
    let dir = temp_dir("dashboard-pages");
    let file = integrations(&dir);
    let s = Server::start(&dir, &["--integrations", &file], &[]);
    let r = post(
        &s,
        "/api/v1/integrations/am",
        &[("Authorization", "Bearer am-token")],
        br#"{"alerts": [{"status": "firing", "labels": {"alertname": "PagesDiskFull"}}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["results"][0]["incident_id"].as_i64().unwrap();
    let r = post(
        &s,
        "/api/v1/sessions",
        &[("Authorization", &format!("Bearer {KEY}"))],
        br#"{"prompt": "look at the disk"}"#,
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let session = r.json["session_id"].as_i64().unwrap();
    let login = read(agent().get(&format!("{}/login", s.base)).call().unwrap());
    let csrf = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = csrf.split('=').nth(1).unwrap();
    let r = read(
        no_redirects()
            .post(&format!("{}/login", s.base))
            .header("cookie", &csrf)
            .content_type("application/x-www-form-urlencoded")
            .send(format!("key={KEY}&csrf={token}&next=/"))
            .unwrap(),
    );
    assert_eq!(r.status, 303);
    let logged_in = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
        .find(|v| v.starts_with("alertgate_session="))
        .unwrap();
    let cookie = format!("{csrf}; {logged_in}");
    for (path, shows) in [
        (String::from("/"), "PagesDiskFull"),
        (String::from("/incidents"), "PagesDiskFull"),
        (format!("/incidents/{id}"), "PagesDiskFull"),
        (String::from("/sessions"), "look at the disk"),
        (format!("/sessions/{session}"), "look at the disk"),
        (String::from("/deliveries"), "Deliveries"),
    ] {
        let r = read(
            no_redirects()
                .get(&format!("{}{path}", s.base))
                .header("cookie", &cookie)
                .call()
                .unwrap(),
        );
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.text.contains(shows), "{path}");
    }
}
