//! The shape of `src/`: no module imports another that imports it back,
//! directly or through others; no module imports one that stands above it
//! in the layering (`LAYERS`, the rooms of ARCHITECTURE.md); and no file is
//! over 500 lines.
//!
//! Each file is a module. An edge is any path to another module outside
//! the file's tests: `crate::a::b`, `super::x`, `self::x`, a `use` of a
//! child, or a child named in code (`parse::parse`). A parent declaring its
//! children (`mod x;`) is not an edge; a parent re-exporting from them is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::repo;

const MAX_LINES: usize = 500;

type Module = Vec<String>;

/// Every `.rs` file under `src/`, by module path (`src/a/mod.rs` is `a`).
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let rel = path.strip_prefix(repo().join("src")).unwrap();
                let mut parts: Vec<String> = rel
                    .with_extension("")
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                out.insert(parts, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&repo().join("src"), &mut out);
    out
}

/// The file's code without its test module and without line comments.
fn code(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths named in `code`, each as its segments, `{a, b::c}` groups expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]) && chars[i - 1] != ':';
        if !(starts_word && is_ident(chars[i])) {
            i += 1;
            continue;
        }
        let (path, next) = read_path(&chars, i);
        i = next.max(i + 1);
        if path.len() < 2 && !(next < chars.len() && chars[next] == '{') {
            continue;
        }
        if next < chars.len() && chars[next] == '{' {
            let close = (next..chars.len())
                .scan(0i32, |depth, j| {
                    *depth += match chars[j] {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    Some((j, *depth))
                })
                .find(|(_, d)| *d == 0)
                .map_or(chars.len(), |(j, _)| j);
            let group: String = chars[next + 1..close].iter().collect();
            for item in group.split(',') {
                let item: Vec<String> = item
                    .trim()
                    .split("::")
                    .map(|s| s.trim().trim_matches(|c: char| !is_ident(c)).to_string())
                    .filter(|s| !s.is_empty() && s != "self")
                    .collect();
                let mut full = path.clone();
                full.extend(item);
                out.push(full);
            }
            i = close;
        } else {
            out.push(path);
        }
    }
    out
}

/// Reads `a::b::c` from `i`; returns the segments and where it stopped
/// (at a `{` when a group follows `::`).
fn read_path(chars: &[char], mut i: usize) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    loop {
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        segments.push(chars[start..i].iter().collect());
        if i + 2 < chars.len() && chars[i] == ':' && chars[i + 1] == ':' {
            i += 2;
            if chars[i] == '{' {
                return (segments, i);
            }
            if !is_ident(chars[i]) {
                return (segments, i);
            }
        } else {
            return (segments, i);
        }
    }
}

fn edges(all: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut graph = BTreeMap::new();
    for (module, text) in all {
        let mut to = BTreeSet::new();
        for path in paths(&code(text)) {
            let (mut base, rest): (Module, &[String]) = match path[0].as_str() {
                "crate" => (Vec::new(), &path[1..]),
                "super" => {
                    let mut b = module.clone();
                    b.pop();
                    (b, &path[1..])
                }
                "self" => (module.clone(), &path[1..]),
                // A child of this module named directly.
                first => {
                    let mut child = module.clone();
                    child.push(first.to_string());
                    if !all.contains_key(&child) {
                        continue;
                    }
                    (module.clone(), &path[..])
                }
            };
            // The longest prefix that is a module file.
            let mut target = base.clone();
            for segment in rest {
                base.push(segment.clone());
                if all.contains_key(&base) {
                    target.clone_from(&base);
                }
            }
            if &target != module && all.contains_key(&target) {
                to.insert(target);
            }
        }
        graph.insert(module.clone(), to);
    }
    graph
}

/// A cycle in the graph, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let at = stack.iter().position(|m| m == next).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node) {
            if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// The layers of `src/`, lowest first. A module may import its own layer
/// and those below, never one above. A module is in the layer of the
/// longest prefix that names it (`speech::audio` is pure and low; `speech`,
/// which transcribes through the context, is high). The crate root
/// (`lib.rs`, `main.rs`) is above them all.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaves",
        &["text", "json", "time", "style", "error", "setting"],
    ),
    ("bank", &["bank"]),
    (
        "pure core",
        &[
            "verdict",
            "prompts",
            "cues",
            "prices",
            "schedule",
            "session",
            "calibration",
            "speech::audio",
            "speech::transcript",
            "speech::words",
            "speech::delivery",
            "speech::summary",
        ],
    ),
    ("provider", &["provider"]),
    ("store", &["store"]),
    ("grading", &["grading"]),
    ("reports", &["stats", "report"]),
    ("flags", &["cli"]),
    (
        "settings",
        &["config", "config_file", "config_models", "config_speech"],
    ),
    ("terminal", &["ui"]),
    ("context", &["context", "speech"]),
    ("engines", &["batch", "drive"]),
    ("commands", &["commands"]),
];

/// The layer of `module`: its index in `LAYERS`, `LAYERS.len()` for the
/// crate root, `None` for a module no layer names.
fn layer(module: &Module, layers: &[(&str, &[&str])]) -> Option<usize> {
    if module.is_empty() {
        return Some(layers.len());
    }
    let mut best: Option<(usize, usize)> = None;
    for (at, (_, prefixes)) in layers.iter().enumerate() {
        for prefix in *prefixes {
            let prefix: Vec<&str> = prefix.split("::").collect();
            let matches =
                prefix.len() <= module.len() && prefix.iter().zip(module).all(|(p, m)| p == m);
            if matches && best.is_none_or(|(len, _)| prefix.len() > len) {
                best = Some((prefix.len(), at));
            }
        }
    }
    best.map(|(_, at)| at)
}

/// Every import from a lower layer to a higher one, as "from (layer) → to (layer)".
fn upward_imports(
    graph: &BTreeMap<Module, BTreeSet<Module>>,
    layers: &[(&str, &[&str])],
) -> Vec<String> {
    let layer_name = |at: usize| layers.get(at).map_or("crate root", |(n, _)| n);
    let mut out = Vec::new();
    for (from, tos) in graph {
        let Some(low) = layer(from, layers) else {
            out.push(format!("{} is in no layer: add it to LAYERS", name(from)));
            continue;
        };
        for to in tos {
            match layer(to, layers) {
                Some(high) if high > low => out.push(format!(
                    "{} ({}) imports {} ({})",
                    name(from),
                    layer_name(low),
                    name(to),
                    layer_name(high)
                )),
                _ => {}
            }
        }
    }
    out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let all = modules();
    let graph = edges(&all);
    // The checker sees what it must: the grading layer is used by commands.
    let grading = vec!["grading".to_string()];
    assert!(graph[&vec!["commands".into(), "grade".into()]].contains(&grading));
    assert!(graph[&vec!["bank".into()]].contains(&vec!["bank".into(), "parse".into()]));
    if let Some(cycle) = find_cycle(&graph) {
        let shown: Vec<String> = cycle.iter().map(name).collect();
        panic!("import cycle: {}", shown.join(" → "));
    }
}

#[test]
fn the_checker_finds_a_planted_cycle() {
    let mut all = BTreeMap::new();
    all.insert(vec!["a".to_string()], "use crate::b::X;".to_string());
    all.insert(
        vec!["b".to_string()],
        "fn f() { super::c::g() }".to_string(),
    );
    all.insert(
        vec!["c".to_string()],
        "use crate::{a::{self, Y}, d};\n#[cfg(test)]\nmod tests { use crate::b; }".to_string(),
    );
    let graph = edges(&all);
    let cycle = find_cycle(&graph).expect("a → b → c → a");
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    all.insert(vec!["c".to_string()], "// use crate::a;".to_string());
    assert!(find_cycle(&edges(&all)).is_none());
}

#[test]
fn no_module_imports_one_above_it_in_the_layering() {
    let graph = edges(&modules());
    // The layering sees what it must: the provider is below the store.
    let provider = layer(&vec!["provider".into(), "http".into()], LAYERS).unwrap();
    let store = layer(&vec!["store".into()], LAYERS).unwrap();
    assert!(provider < store);
    let wrong = upward_imports(&graph, LAYERS);
    assert!(
        wrong.is_empty(),
        "imports against the layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_layering_finds_a_planted_upward_import() {
    const PLANTED: &[(&str, &[&str])] = &[("low", &["a", "b::c"]), ("high", &["b"])];
    let mut all = BTreeMap::new();
    all.insert(vec!["a".to_string()], "use crate::b::c::X;".to_string());
    all.insert(vec!["b".to_string()], "use crate::a::Y;".to_string());
    all.insert(
        vec!["b".to_string(), "c".to_string()],
        "fn f() {}".to_string(),
    );
    assert!(upward_imports(&edges(&all), PLANTED).is_empty());
    all.insert(
        vec!["a".to_string()],
        "fn g() { crate::b::h() }".to_string(),
    );
    assert_eq!(
        upward_imports(&edges(&all), PLANTED),
        ["a (low) imports b (high)"]
    );
    all.insert(vec!["d".to_string()], String::new());
    assert!(upward_imports(&edges(&all), PLANTED)
        .contains(&"d is in no layer: add it to LAYERS".to_string()));
}

#[test]
fn no_source_file_is_over_500_lines() {
    for (module, text) in modules() {
        let n = text.lines().count();
        assert!(n <= MAX_LINES, "{} has {n} lines", name(&module));
    }
}
