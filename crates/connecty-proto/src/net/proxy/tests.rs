use super::*;

type Vars = &'static [(&'static str, &'static str)];

fn lookup(vars: Vars) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

/// What a decision comes to, for the table: `direct`, or
/// `source proxy-authority via`, or `error field`.
fn decide(setting: &ProxySetting, vars: Vars, target: &str) -> String {
    let target: http::Uri = target.parse().unwrap();
    match proxy_for(setting, lookup(vars), &target) {
        Ok(ProxyDecision::Direct) => "direct".to_string(),
        Ok(ProxyDecision::Proxy(r)) => format!(
            "{} {}://{} {:?}",
            r.source,
            r.proxy.scheme().as_str(),
            r.proxy.authority(),
            r.via
        ),
        Err(e) => format!("error {}", e.field),
    }
}

const HTTPS: &str = "https://api.eu1.connecty-ai.com/v1/health";
const HTTP: &str = "http://gateway.example:8080/v1/health";
const ENV: &ProxySetting = &ProxySetting::FromEnv;

#[test]
fn environment_table() {
    let table: &[(Vars, &str, &str)] = &[
        // Nothing set: direct.
        (&[], HTTPS, "direct"),
        (&[], HTTP, "direct"),
        // The scheme's variable; https tunnels, http goes absolute-form.
        (
            &[("HTTPS_PROXY", "http://p:3128")],
            HTTPS,
            "HTTPS_PROXY http://p:3128 Connect",
        ),
        (&[("HTTPS_PROXY", "http://p:3128")], HTTP, "direct"),
        (
            &[("HTTP_PROXY", "http://p:3128")],
            HTTP,
            "HTTP_PROXY http://p:3128 AbsoluteForm",
        ),
        (&[("HTTP_PROXY", "http://p:3128")], HTTPS, "direct"),
        // Lower case first.
        (
            &[
                ("https_proxy", "http://lower:1"),
                ("HTTPS_PROXY", "http://upper:2"),
            ],
            HTTPS,
            "https_proxy http://lower:1 Connect",
        ),
        (
            &[
                ("http_proxy", "http://lower:1"),
                ("HTTP_PROXY", "http://upper:2"),
            ],
            HTTP,
            "http_proxy http://lower:1 AbsoluteForm",
        ),
        // Blank is unset.
        (
            &[("http_proxy", "  "), ("HTTP_PROXY", "http://upper:3")],
            HTTP,
            "HTTP_PROXY http://upper:3 AbsoluteForm",
        ),
        // ALL_PROXY when the scheme has none; the scheme's variable first.
        (
            &[("ALL_PROXY", "socks5h://s:1080")],
            HTTPS,
            "ALL_PROXY socks5h://s:1080 Socks",
        ),
        (
            &[("all_proxy", "http://a:1"), ("ALL_PROXY", "http://b:2")],
            HTTP,
            "all_proxy http://a:1 AbsoluteForm",
        ),
        (
            &[("HTTPS_PROXY", "http://s:1"), ("ALL_PROXY", "http://a:2")],
            HTTPS,
            "HTTPS_PROXY http://s:1 Connect",
        ),
        // CGI: upper-case HTTP_PROXY may come from a request header.
        (
            &[
                ("HTTP_PROXY", "http://injected:1"),
                ("REQUEST_METHOD", "GET"),
            ],
            HTTP,
            "direct",
        ),
        (
            &[("http_proxy", "http://mine:1"), ("REQUEST_METHOD", "GET")],
            HTTP,
            "http_proxy http://mine:1 AbsoluteForm",
        ),
        (
            &[
                ("HTTP_PROXY", "http://injected:1"),
                ("ALL_PROXY", "http://a:2"),
                ("REQUEST_METHOD", "GET"),
            ],
            HTTP,
            "ALL_PROXY http://a:2 AbsoluteForm",
        ),
        (
            &[("HTTPS_PROXY", "http://s:1"), ("REQUEST_METHOD", "GET")],
            HTTPS,
            "HTTPS_PROXY http://s:1 Connect",
        ),
        // NO_PROXY, lower case first.
        (
            &[
                ("HTTPS_PROXY", "http://p:1"),
                ("NO_PROXY", ".connecty-ai.com"),
            ],
            HTTPS,
            "direct",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://p:1"),
                ("no_proxy", "other.example"),
                ("NO_PROXY", "*"),
            ],
            HTTPS,
            "HTTPS_PROXY http://p:1 Connect",
        ),
        // The disagreement of issue 12: a host:port entry.
        (
            &[
                ("HTTPS_PROXY", "http://p:1"),
                ("NO_PROXY", "api.eu1.connecty-ai.com:443"),
            ],
            HTTPS,
            "direct",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://p:1"),
                ("NO_PROXY", "api.eu1.connecty-ai.com:8443"),
            ],
            HTTPS,
            "HTTPS_PROXY http://p:1 Connect",
        ),
        (
            &[
                ("HTTP_PROXY", "http://p:1"),
                ("NO_PROXY", "gateway.example:8080"),
            ],
            HTTP,
            "direct",
        ),
        // Loopback is not exempt unless listed (curl).
        (
            &[("HTTP_PROXY", "http://p:1")],
            "http://127.0.0.1:9/",
            "HTTP_PROXY http://p:1 AbsoluteForm",
        ),
        (
            &[("HTTP_PROXY", "http://p:1"), ("NO_PROXY", "127.0.0.0/8")],
            "http://127.0.0.1:9/",
            "direct",
        ),
        (
            &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "::1")],
            "https://[::1]:9/",
            "direct",
        ),
        // Proxy URLs: no scheme means http; default ports.
        (
            &[("HTTPS_PROXY", "p.corp")],
            HTTPS,
            "HTTPS_PROXY http://p.corp:80 Connect",
        ),
        (
            &[("HTTPS_PROXY", "socks5://s")],
            HTTPS,
            "HTTPS_PROXY socks5://s:1080 Socks",
        ),
        (
            &[("HTTPS_PROXY", "HTTP://P.Corp:3128/")],
            HTTPS,
            "HTTPS_PROXY http://p.corp:3128 Connect",
        ),
        (
            &[("HTTPS_PROXY", "http://[::1]:3128")],
            HTTPS,
            "HTTPS_PROXY http://[::1]:3128 Connect",
        ),
        // A bad variable fails, naming it; one that does not apply does not.
        (&[("HTTPS_PROXY", "ftp://p:21")], HTTPS, "error HTTPS_PROXY"),
        (
            &[("HTTPS_PROXY", "https://p:443")],
            HTTPS,
            "error HTTPS_PROXY",
        ),
        (
            &[("HTTP_PROXY", "ftp://p:21"), ("HTTPS_PROXY", "http://p:1")],
            HTTPS,
            "HTTPS_PROXY http://p:1 Connect",
        ),
        (
            &[("HTTPS_PROXY", "ftp://p:21"), ("NO_PROXY", "*")],
            HTTPS,
            "direct",
        ),
    ];
    for (vars, target, want) in table {
        assert_eq!(decide(ENV, vars, target), *want, "{vars:?} {target}");
    }
}

#[test]
fn explicit_settings_ignore_the_environment() {
    let vars: Vars = &[("HTTPS_PROXY", "http://env:1"), ("NO_PROXY", "*")];
    assert_eq!(decide(&ProxySetting::Disabled, vars, HTTPS), "direct");
    let fixed = ProxySetting::Url("http://mine:9".into());
    assert_eq!(decide(&fixed, vars, HTTPS), "proxy http://mine:9 Connect");
    assert_eq!(
        decide(&fixed, vars, HTTP),
        "proxy http://mine:9 AbsoluteForm"
    );
    let socks = ProxySetting::Url("socks4a://mine".into());
    assert_eq!(
        decide(&socks, vars, HTTP),
        "proxy socks4a://mine:1080 Socks"
    );
    let given = ProxySetting::Vars(ProxyEnv::new().with("HTTPS_PROXY", "http://given:2"));
    assert_eq!(
        decide(&given, vars, HTTPS),
        "HTTPS_PROXY http://given:2 Connect"
    );
    assert_eq!(
        decide(&ProxySetting::Vars(ProxyEnv::new()), vars, HTTPS),
        "direct"
    );
}

#[test]
fn proxy_urls_are_parsed_or_refused_without_echoing_them() {
    let ok = ProxyUrl::parse("proxy", "http://us%40er:pa%20ss@proxy.local:3128/").unwrap();
    assert_eq!(ok.username(), Some("us@er"));
    assert_eq!(ok.password(), Some("pa ss"));
    assert_eq!(ok.authority(), "proxy.local:3128");
    assert_eq!(ok.uri().to_string(), "http://proxy.local:3128/");
    assert_eq!(ok.to_string(), "http://[redacted]@proxy.local:3128");
    assert_eq!(
        format!("{ok:?}"),
        "ProxyUrl(http://[redacted]@proxy.local:3128)"
    );
    // base64("us@er:pa ss")
    let auth = ok.basic_auth().unwrap();
    assert_eq!(auth, "Basic dXNAZXI6cGEgc3M=");
    assert!(auth.is_sensitive());
    assert!(
        ProxyUrl::parse("proxy", "http://p:1")
            .unwrap()
            .basic_auth()
            .is_none()
    );
    let user_only = ProxyUrl::parse("proxy", "http://token@p:1").unwrap();
    assert_eq!(user_only.basic_auth().unwrap(), "Basic dG9rZW46");
    assert_eq!(
        ProxyUrl::parse("proxy", "socks5h://p").unwrap().scheme(),
        ProxyScheme::Socks5h
    );
    assert!(ProxyScheme::Socks5h.remote_dns() && !ProxyScheme::Socks5.remote_dns());

    for bad in [
        "",
        "ftp://user:hunter2@p:21",
        "https://user:hunter2@p:443",
        "gopher://user:hunter2@p",
        "http://user:hunter2@",
        "http://user:hunter2@p:0",
        "http://user:hunter2@p:99999",
        "http://user:hunter2@p:port",
        "http://user:hunter2@p/path",
        "http://user:hunter2@[::1",
        "http://user:hunter2@[nope]:1",
        "http://user:hunter2%zz@p:1",
        "http://user:hunter2@p q:1",
        "not a url",
    ] {
        let e = ProxyUrl::parse("HTTPS_PROXY", bad).unwrap_err();
        assert_eq!(e.field, "HTTPS_PROXY", "{bad}");
        assert!(!e.message.contains("hunter2"), "{bad}: {e}");
    }
    let e = ProxyUrl::parse("proxy", "https://p:443").unwrap_err();
    assert!(
        e.message.contains("TLS to the proxy is not supported"),
        "{e}"
    );
}

#[test]
fn the_environment_is_captured_once_and_hidden_in_debug() {
    let env = ProxyEnv::from_lookup(lookup(&[
        ("HTTPS_PROXY", " http://u:hunter2@p:1 "),
        ("NO_PROXY", "localhost"),
        ("HOME", "/root"),
        ("http_proxy", ""),
    ]));
    assert_eq!(env.get("HTTPS_PROXY"), Some("http://u:hunter2@p:1"));
    assert_eq!(env.get("HOME"), None);
    assert_eq!(env.get("http_proxy"), None);
    let debug = format!("{env:?}");
    assert!(
        !debug.contains("hunter2") && debug.contains("localhost"),
        "{debug}"
    );
    let rules = ProxyRules::new(&ProxySetting::Vars(env.clone()), |_| None).unwrap();
    assert_eq!(rules, ProxyRules::Env(env));
    assert_eq!(rules.describe(), "from environment");
    let env = ProxyEnv::new()
        .with("NO_PROXY", "a")
        .with("NO_PROXY", "b")
        .with("PATH", "/bin")
        .with("HTTP_PROXY", " ");
    assert_eq!(format!("{env:?}"), r#"{"NO_PROXY": "b"}"#);
}
