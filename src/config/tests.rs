use super::*;
use std::collections::HashMap;

fn resolve_with(args: &GlobalArgs, vars: &[(&str, &str)]) -> Result<Settings> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    Settings::resolve(args, &move |k| map.get(k).cloned())
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "model = \"from-file\"\ntimeout = 5\nbase_url = \"http://file:1/v1\"\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let home = dir.path().to_str().unwrap();

    let s = resolve_with(
        &GlobalArgs::default(),
        &[("GRILL_CONFIG", cfg), ("GRILL_HOME", home)],
    )
    .unwrap();
    assert_eq!(
        (s.model.value.as_str(), &s.model.origin),
        ("from-file", &Origin::File)
    );
    assert_eq!(s.timeout_secs.value, 5.0);

    let s = resolve_with(
        &GlobalArgs::default(),
        &[
            ("GRILL_CONFIG", cfg),
            ("GRILL_HOME", home),
            ("GRILL_MODEL", "from-env"),
        ],
    )
    .unwrap();
    assert_eq!(s.model.origin, Origin::Env("GRILL_MODEL"));

    let args = GlobalArgs {
        model: Some("from-flag".into()),
        ..GlobalArgs::default()
    };
    let s = resolve_with(
        &args,
        &[
            ("GRILL_CONFIG", cfg),
            ("GRILL_HOME", home),
            ("GRILL_MODEL", "from-env"),
        ],
    )
    .unwrap();
    assert_eq!(
        (s.model.value.as_str(), &s.model.origin),
        ("from-flag", &Origin::Flag("--model"))
    );
    assert_eq!(s.db_path.value, dir.path().join("grill.db"));
}

#[test]
fn no_key_and_default_url_means_no_judge() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let env = [
        ("GRILL_CONFIG", empty.to_str().unwrap()),
        ("GRILL_HOME", "/x"),
    ];
    let s = resolve_with(&GlobalArgs::default(), &env).unwrap();
    assert!(s.judge_unavailable().is_some());
    let args = GlobalArgs {
        base_url: Some("http://127.0.0.1:8080/v1/".into()),
        ..GlobalArgs::default()
    };
    let s = resolve_with(&args, &env).unwrap();
    assert!(s.judge_unavailable().is_none());
    assert!(s.is_local_server());
    assert_eq!(s.base_url.value, "http://127.0.0.1:8080/v1");
}

#[test]
fn user_info_in_a_base_url_is_never_shown() {
    assert_eq!(
        display_url("http://user:SECRET@127.0.0.1:1/v1"),
        "http://***@127.0.0.1:1/v1"
    );
    assert_eq!(
        display_url("https://SECRET@example.com/v1/"),
        "https://***@example.com/v1/"
    );
    assert_eq!(
        display_url("https://a:b@example.com"),
        "https://***@example.com"
    );
    assert_eq!(
        display_url("http://localhost:11434/v1"),
        "http://localhost:11434/v1"
    );
    assert_eq!(display_url("ftp://user:SECRET@host/x"), "ftp://***@host/x");
    assert_eq!(
        display_url("http://us er:SECRET@[bad/v1"),
        "http://***@[bad/v1"
    );
}

#[test]
fn a_bad_config_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "model = \"m\"\nmodle = \"x\"\n").unwrap();
    let err = resolve_with(
        &GlobalArgs::default(),
        &[
            ("GRILL_CONFIG", cfg.to_str().unwrap()),
            ("GRILL_HOME", "/x"),
        ],
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.message
            .contains("config.toml:2:1: unknown setting `modle`; did you mean `model`?"),
        "{}",
        err.message
    );
}

#[test]
fn the_config_file_follows_xdg_everywhere() {
    let env = |vars: &'static [(&str, &str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    };
    assert_eq!(
        config_path(&env(&[("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/me")])),
        Path::new("/xdg/grill/config.toml")
    );
    assert_eq!(
        config_path(&env(&[("HOME", "/home/me")])),
        Path::new("/home/me/.config/grill/config.toml")
    );
    // A relative XDG_CONFIG_HOME is ignored, as the spec says.
    assert_eq!(
        config_path(&env(&[("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")])),
        Path::new("/h/.config/grill/config.toml")
    );
}
