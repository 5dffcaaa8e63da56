//! Architecture tests: the library's top-level modules stay layered and acyclic.
//!
//! Every path into the crate (`use crate::…`, grouped uses, inline `crate::a::f()`, and `super::` paths
//! resolved against the file's module) is an import edge between top-level modules. An edge may only go to
//! the same layer or a lower one, and the edges must not form a cycle. The generator crate's `world` module
//! gets the same cycle check at file granularity. Only std is used, so the file also compiles on its own:
//! `rustc --edition 2024 --test tests/integration/architecture.rs -o /tmp/arch && /tmp/arch`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::Path;

/// The layers of the library, bottom to top, as described in docs/architecture.md (keep both in the same
/// order): a module may import modules of its own layer or of lower layers, never of higher ones.
const LAYERS: &[&[&str]] = &[
    &[
        "timezone",
        "text_column",
        "queries",
        "output",
        "result_batch",
        "spill",
        "interned",
    ],
    &["source"],
    &["schema"],
    &["decode"],
    &["progress"],
    &["events"],
    &["lake", "verify"],
    &["input"],
    &["attribution"],
    &["sigma"],
    &["hunt"],
    &["incident"],
    &["cluster"],
    &["cli"],
    &["cmd"],
];

/// The repository root: cargo's manifest directory, or the current directory in a standalone build.
const ROOT: Option<&str> = option_env!("CARGO_MANIFEST_DIR");

/// A source file: its path relative to its crate's src/ (with `/` separators) and its contents.
type File = (String, String);

/// A lexical token: only identifiers, `::` and single punctuation matter to find paths and modules.
#[derive(PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// One path into the crate found in code: its line and the absolute module path it names (no `crate`).
struct Reference {
    line: usize,
    path: Vec<String>,
}

/// One import edge between two graph nodes, with the first place that makes it (for the messages).
struct Import {
    from: String,
    to: String,
    file: String,
    line: usize,
    text: String,
}

/// Skips a `"…"` string body starting after its opening quote; returns the index after the closing quote.
fn skip_string(c: &[char], mut i: usize) -> usize {
    while i < c.len() && c[i] != '"' {
        i += if c[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// Skips a raw string body (`r#"…"#`) starting after its opening quote, closed by `"` and `hashes` `#`s.
fn skip_raw(c: &[char], mut i: usize, hashes: usize) -> usize {
    while i < c.len() && !(c[i] == '"' && c[i + 1..].iter().take(hashes).all(|&h| h == '#')) {
        i += 1;
    }
    i + 1 + hashes
}

/// Skips a (possibly nested) block comment starting at its `/*`; returns the index after its `*/`.
fn skip_block(c: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < c.len() {
        match (c[i], c.get(i + 1)) {
            ('/', Some('*')) => (depth, i) = (depth + 1, i + 2),
            ('*', Some('/')) if depth == 1 => return i + 2,
            ('*', Some('/')) => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    i
}

/// Splits Rust source into tokens, dropping numbers, comments (doc comments included) and string, raw string,
/// byte string and char literals, so that paths written in comments or literals are not taken for imports.
/// Each token comes with the line it starts on, so that every import can be reported with its line.
fn tokens(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let is_word = |k: char| k.is_alphanumeric() || k == '_';
    let word_end = |i: usize| i + c[i..].iter().take_while(|&&k| is_word(k)).count();
    let (mut i, mut line, mut counted, mut out) = (0, 1, 0, Vec::new());
    while i < c.len() {
        let (ch, start) = (c[i], i);
        let mut tok = None;
        if ch == '/' && at(i + 1) == '/' {
            i = (i..c.len()).find(|&k| c[k] == '\n').unwrap_or(c.len());
        } else if ch == '/' && at(i + 1) == '*' {
            i = skip_block(&c, i);
        } else if ch == '"' {
            i = skip_string(&c, i + 1);
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\u{..}'); otherwise a lifetime or label, whose name is lexed next.
            i = match (at(i + 1), at(i + 2)) {
                ('\\', _) => (i + 3..c.len()).find(|&k| c[k] == '\'').unwrap_or(c.len()) + 1,
                (_, '\'') => i + 3,
                _ => i + 1,
            };
        } else if ch.is_alphabetic() || ch == '_' {
            i = word_end(i);
            let word: String = c[start..i].iter().collect();
            let hashes = c[i..].iter().take_while(|&&h| h == '#').count();
            if matches!(word.as_str(), "r" | "br" | "cr") && at(i + hashes) == '"' {
                i = skip_raw(&c, i + hashes + 1, hashes);
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_string(&c, i + 1);
            } else if word == "r" && hashes == 1 {
                i += 1; // a raw identifier `r#name`: the name is lexed next
            } else {
                tok = Some(Tok::Ident(word));
            }
        } else if ch.is_ascii_digit() {
            i = word_end(i);
        } else if ch == ':' && at(i + 1) == ':' {
            (i, tok) = (i + 2, Some(Tok::PathSep));
        } else {
            (i, tok) = (i + 1, (!ch.is_whitespace()).then_some(Tok::Punct(ch)));
        }
        if let Some(tok) = tok {
            line += c[counted..start].iter().filter(|&&n| n == '\n').count();
            counted = start;
            out.push((tok, line));
        }
    }
    out
}

/// Reads one use tree (or inline path) starting at token `j` under the module `path`, pushing every path
/// it names (a grouped `{a::X, b}` names several); returns the index of the first token after it.
fn use_tree(toks: &[(Tok, usize)], mut j: usize, mut path: Vec<String>, out: &mut Vec<Reference>) -> usize {
    let line = toks.get(j).or(toks.last()).map_or(1, |t| t.1);
    loop {
        match toks.get(j).map(|t| &t.0) {
            Some(Tok::Ident(w)) => {
                path.extend((w != "self").then(|| w.clone())); // `a::{self, B}` names `a` itself
                j += 1;
                if toks.get(j).map(|t| &t.0) == Some(&Tok::PathSep) {
                    j += 1;
                    continue;
                }
            }
            Some(Tok::Punct('{')) => {
                j += 1;
                let mut depth = 0;
                while let Some((tok, _)) = toks.get(j) {
                    match tok {
                        Tok::Punct('}') if depth == 0 => return j + 1,
                        Tok::Punct('{') => depth += 1,
                        Tok::Punct('}') => depth -= 1,
                        Tok::Ident(w)
                            if depth == 0 && w != "as" && toks[j - 1].0 != Tok::Ident("as".into()) =>
                        {
                            j = use_tree(toks, j, path.clone(), out);
                            continue;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                return j;
            }
            _ => {}
        }
        out.push(Reference { line, path });
        return j;
    }
}

/// Every path into the crate in `src`, a file of module `module`: `crate::` paths as written and `super::`
/// paths resolved against the module (including inline modules such as `mod tests { … }`).
fn references(src: &str, module: &[String]) -> Vec<Reference> {
    let toks = tokens(src);
    let kind = |j: usize| toks.get(j).map(|t| &t.0);
    let (mut out, mut inline, mut depth) = (Vec::new(), Vec::<(String, usize)>::new(), 0usize);
    for (i, (tok, _)) in toks.iter().enumerate() {
        match tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                while inline.last().is_some_and(|(_, d)| *d > depth) {
                    inline.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) = (kind(i + 1), kind(i + 2)) {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Tok::Ident(w)
                if (w == "crate" || w == "super")
                    && kind(i + 1) == Some(&Tok::PathSep)
                    && (i == 0 || toks[i - 1].0 != Tok::PathSep) =>
            {
                let (mut base, mut j) = (Vec::new(), i + 2);
                if w == "super" {
                    base = module.to_vec();
                    base.extend(inline.iter().map(|(n, _)| n.clone()));
                    let mut ups = 1;
                    while kind(j) == Some(&Tok::Ident("super".into())) && kind(j + 1) == Some(&Tok::PathSep) {
                        (ups, j) = (ups + 1, j + 2);
                    }
                    if ups > base.len() {
                        continue; // above the crate root: not a path this check can place
                    }
                    base.truncate(base.len() - ups);
                }
                use_tree(&toks, j, base, &mut out);
            }
            _ => {}
        }
    }
    out
}

/// The module path of a file given relative to its crate's src/ (`a/b.rs` is `a::b`, `a/mod.rs` is `a`),
/// or `None` for the crate roots and binaries, which are not part of the layering.
fn module_path(rel: &str) -> Option<Vec<String>> {
    let stem = rel.strip_suffix(".rs")?;
    if matches!(stem, "lib" | "main") || stem.starts_with("bin/") {
        return None;
    }
    let mut path: Vec<String> = stem.split('/').map(String::from).collect();
    path.pop_if(|l| l == "mod");
    Some(path)
}

/// The import edges between graph nodes: `node` maps a module path to its node (or `None` outside the
/// graph); each (file, line, target) is kept once, and edges within one node are dropped.
fn imports(files: &[File], shown: &str, node: &dyn Fn(&[String]) -> Option<String>) -> Vec<Import> {
    let (mut out, mut seen) = (Vec::new(), BTreeSet::new());
    for (rel, src) in files {
        let Some(module) = module_path(rel) else { continue };
        let Some(from) = node(&module) else { continue };
        let lines: Vec<&str> = src.lines().collect();
        let elsewhere = |r: Reference| Some((node(&r.path).filter(|to| *to != from)?, r));
        for (to, r) in references(src, &module).into_iter().filter_map(elsewhere) {
            if seen.insert((rel.clone(), r.line, to.clone())) {
                let text = lines.get(r.line - 1).map_or("", |l| l.trim()).to_string();
                let file = format!("{shown}{rel}");
                out.push(Import {
                    from: from.clone(),
                    to,
                    file,
                    line: r.line,
                    text,
                });
            }
        }
    }
    out
}

/// The first import of each edge, keyed by (from, to): the graph the cycle search and summary walk.
fn edges(imports: &[Import]) -> BTreeMap<(String, String), &Import> {
    imports
        .iter()
        .rev()
        .map(|imp| ((imp.from.clone(), imp.to.clone()), imp))
        .collect()
}

/// The nodes reachable from `start` along `edges` (`start` itself only when it lies on a cycle).
fn reach(edges: &BTreeMap<(String, String), &Import>, start: &str) -> BTreeSet<String> {
    let (mut seen, mut queue) = (BTreeSet::new(), VecDeque::from([start.to_string()]));
    while let Some(n) = queue.pop_front() {
        for (_, to) in edges.keys().filter(|(from, _)| *from == n) {
            if seen.insert(to.clone()) {
                queue.push_back(to.clone());
            }
        }
    }
    seen
}

/// One failure per strongly connected component of more than one node: its members, a shortest cycle
/// through its first member with one offending line per edge, and the component's other edges.
fn cycles(imports: &[Import]) -> Vec<String> {
    let edges = edges(imports);
    let nodes: BTreeSet<&String> = edges.keys().map(|(from, _)| from).collect();
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|&n| (n, reach(&edges, n))).collect();
    let (mut done, mut out) = (BTreeSet::new(), Vec::new());
    for &start in &nodes {
        let back = |n: &String| reachable.get(n).is_some_and(|r| r.contains(start));
        let scc: BTreeSet<&String> = reachable[start].iter().filter(|n| back(n)).collect();
        if scc.len() < 2 || !done.insert(start) {
            continue;
        }
        done.extend(scc.iter().copied());
        // Breadth-first from `start` inside the component, keeping whole paths, until one leads back to it.
        let (mut queue, mut seen, mut cycle) = (VecDeque::from([vec![start]]), BTreeSet::new(), Vec::new());
        while let Some(path) = queue.pop_front().filter(|_| cycle.is_empty()) {
            let last = path[path.len() - 1];
            for (_, to) in edges.keys().filter(|(from, to)| from == last && scc.contains(to)) {
                let mut longer = path.clone();
                longer.push(to);
                if to == start && cycle.is_empty() {
                    cycle = longer;
                } else if seen.insert(to) {
                    queue.push_back(longer);
                }
            }
        }
        let names: Vec<&str> = scc.iter().map(|n| n.as_str()).collect();
        let steps: Vec<&str> = cycle.iter().map(|n| n.as_str()).collect();
        let (names, steps) = (names.join(", "), steps.join(" -> "));
        let mut lines = vec![format!("import cycle between {names}: {steps}")];
        for step in cycle.windows(2) {
            let Import {
                from,
                to,
                file,
                line,
                text,
            } = edges[&(step[0].clone(), step[1].clone())];
            lines.push(format!("{file}:{line}: {from} reaches {to}: {text}"));
        }
        let on_cycle: BTreeSet<(&String, &String)> = cycle.windows(2).map(|w| (w[0], w[1])).collect();
        let others = (edges.iter())
            .filter(|((f, t), _)| scc.contains(f) && scc.contains(t) && !on_cycle.contains(&(f, t)))
            .map(|((f, t), imp)| format!("also {}:{}: {f} reaches {t}", imp.file, imp.line));
        lines.extend(others);
        out.push(lines.join("\n    "));
    }
    out
}

/// The index of the layer holding `module`, if any.
fn layer_of(layers: &[&[&str]], module: &str) -> Option<usize> {
    layers.iter().position(|l| l.contains(&module))
}

/// The library's top-level modules (each with its first file) and the imports between them; a path to a
/// name that is neither a module file nor in `layers` (an item of lib.rs, say) is no edge.
fn library_graph(files: &[File], layers: &[&[&str]]) -> (BTreeMap<String, String>, Vec<Import>) {
    let mut homes: BTreeMap<String, String> = BTreeMap::new();
    for (rel, _) in files {
        if let Some(m) = module_path(rel) {
            homes.entry(m[0].clone()).or_insert_with(|| rel.clone());
        }
    }
    let listed = layers.iter().flat_map(|l| l.iter().map(ToString::to_string));
    let known: BTreeSet<String> = listed.chain(homes.keys().cloned()).collect();
    let node = |p: &[String]| p.first().filter(|m| known.contains(*m)).cloned();
    let imports = imports(files, "src/", &node);
    (homes, imports)
}

/// Every architecture failure of the library files (paths relative to src/, with contents): modules in no
/// layer, imports that reach a higher layer, and cycles between top-level modules.
fn violations(files: &[File], layers: &[&[&str]]) -> Vec<String> {
    let (homes, imports) = library_graph(files, layers);
    let fix = "add it to LAYERS and docs/architecture.md";
    let mut out: Vec<String> = (homes.iter())
        .filter(|(m, _)| layer_of(layers, m).is_none())
        .map(|(m, rel)| format!("src/{rel}: module {m} is in no layer: {fix}"))
        .collect();
    for imp in &imports {
        let (f, t) = (&imp.from, &imp.to);
        match (layer_of(layers, f), layer_of(layers, t)) {
            (Some(a), Some(b)) if a < b => {
                let Import { file, line, text, .. } = imp;
                out.push(format!(
                    "{file}:{line}: {f} (layer {a}) reaches {t} (layer {b}): {text}"
                ));
            }
            _ => {}
        }
    }
    out.extend(cycles(&imports));
    out
}

/// The import cycles between the files of the generator's `world` module (files relative to the generator's
/// src/): each file is a node, named by its module path.
fn world_cycles(files: &[File], shown: &str) -> Vec<String> {
    let nodes: BTreeSet<Vec<String>> = files.iter().filter_map(|(rel, _)| module_path(rel)).collect();
    let node = |p: &[String]| {
        let p = p.first().filter(|w| *w == "world").map_or(&[][..], |_| p);
        let mut prefixes = (1..=p.len()).rev().map(|n| &p[..n]);
        prefixes.find(|q| nodes.contains(*q)).map(|q| q.join("::"))
    };
    cycles(&imports(files, shown, &node))
}

/// Every .rs file under `dir`, as (path relative to `dir` with `/` separators, contents), sorted.
fn read_tree(dir: &Path) -> Vec<File> {
    let (mut out, mut pending) = (Vec::new(), vec![dir.to_path_buf()]);
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(dir).expect("under dir").to_string_lossy();
                let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((rel.replace('\\', "/"), text));
            }
        }
    }
    out.sort();
    out
}

/// Prints the module graph (seen with `--nocapture`): modules with their layers, and the import edges.
fn print_summary(files: &[File]) {
    let (homes, imports) = library_graph(files, LAYERS);
    let edges = edges(&imports);
    let layer = |m: &str| layer_of(LAYERS, m).map_or("none".to_string(), |l| l.to_string());
    let modules: Vec<String> = homes.keys().map(|m| format!("{m} ({})", layer(m))).collect();
    println!("{} modules (layer): {}", modules.len(), modules.join(", "));
    println!("{} import edges:", edges.len());
    let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        adjacency.entry(from).or_default().push(to);
    }
    for (from, to) in adjacency {
        println!("  {from} -> {}", to.join(", "));
    }
}

/// Fails listing every finding, one per line, unless there are none.
fn assert_none(found: &[String], what: &str) {
    assert!(found.is_empty(), "{} {what}:\n{}", found.len(), found.join("\n"));
}

/// The real check: the library in src/ keeps to LAYERS and has no import cycle.
#[test]
fn library_modules_are_layered_without_cycles() {
    let files = read_tree(&Path::new(ROOT.unwrap_or(".")).join("src"));
    assert!(!files.is_empty(), "no source files under src/");
    print_summary(&files);
    assert_none(&violations(&files, LAYERS), "architecture violations");
}

/// The generator's `world` files can be read one after another: no import cycle between them.
#[test]
fn generator_world_files_import_without_cycles() {
    let src = Path::new(ROOT.unwrap_or(".")).join("crates/ctscan-gen/src");
    if !src.is_dir() {
        println!("note: {} does not exist, nothing to check", src.display());
        return;
    }
    let mut world = read_tree(&src);
    world.retain(|(rel, _)| rel == "world.rs" || rel.starts_with("world/"));
    let found = world_cycles(&world, "crates/ctscan-gen/src/");
    assert_none(&found, "import cycles in world");
}

/// A module in two layers would make the table ambiguous.
#[test]
fn layers_name_each_module_once() {
    let all: Vec<&str> = LAYERS.iter().flat_map(|l| l.iter().copied()).collect();
    let unique: BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "a module appears in two layers: {all:?}");
}

/// Planted in-memory files, as `violations` and `world_cycles` take them.
fn planted(files: &[(&str, &str)]) -> Vec<File> {
    files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect()
}

/// The violations of planted library files against the real layers.
fn check(files: &[(&str, &str)]) -> Vec<String> {
    violations(&planted(files), LAYERS)
}

/// Asserts that there is exactly one finding and that it starts with `start`.
fn assert_one(found: &[String], start: &str) {
    assert!(
        found.len() == 1 && found[0].starts_with(start),
        "wanted {start:?}…, found {found:#?}"
    );
}

/// The checker fails on an upward `use` and names where it is, and passes a downward one.
#[test]
fn a_planted_upward_import_is_named_with_its_file_and_line() {
    let found = check(&[("source/bad.rs", "use crate::cmd::query;\n")]);
    let want = "src/source/bad.rs:1: source (layer 1) reaches cmd (layer 14): use crate::cmd::query;";
    assert_one(&found, want);
    let fine = check(&[("source/ok.rs", "use crate::timezone::Tz;\n")]);
    assert_none(&fine, "violations");
}

/// Paths written in expressions and types are imports too, not only `use` lines.
#[test]
fn inline_paths_in_code_and_types_count() {
    let found = check(&[("decode/x.rs", "fn f() {\n    crate::sigma::f();\n}\n")]);
    assert_one(
        &found,
        "src/decode/x.rs:2: decode (layer 3) reaches sigma (layer 9)",
    );
    let found = check(&[("decode/x.rs", "fn g(_: Vec<crate::hunt::T>) {}\n")]);
    assert_one(
        &found,
        "src/decode/x.rs:1: decode (layer 3) reaches hunt (layer 10)",
    );
}

/// Comments, doc links and literals are prose: only code makes edges.
#[test]
fn paths_in_comments_doc_links_and_literals_do_not_count() {
    let quiet = concat!(
        "//! crate::cmd::a\n",
        "/// see [`crate::cmd::b`]\n",
        "// use crate::cmd::c;\n",
        "/* crate::cmd /* nested */ crate::cmd::d */\n",
        "fn f<'a>(s: &'a str) -> char {\n",
        "    let _ = (\"crate::cmd::e \\\" crate::cmd\", b\"crate::cmd\");\n",
        "    let _ = r#\"a \" crate::cmd::f \"#;\n",
        "    '\"'\n",
        "}\n",
    );
    assert_none(&check(&[("decode/q.rs", quiet)]), "violations");
    let loud = format!("{quiet}use crate::cmd::real;\n");
    let found = check(&[("decode/q.rs", &loud)]);
    assert_one(&found, "src/decode/q.rs:10: decode (layer 3) reaches cmd");
}

/// Each member of a grouped `use crate::{…}` is an edge, reported on its own line.
#[test]
fn grouped_multi_line_uses_count_each_member() {
    let src =
        "use crate::{\n    schema::Schema,\n    sigma::{name_gate::NameIndex, Rule as R},\n    timezone,\n};";
    let want = "src/decode/y.rs:3: decode (layer 3) reaches sigma (layer 9): \
                sigma::{name_gate::NameIndex, Rule as R},";
    assert_one(&check(&[("decode/y.rs", src)]), want);
}

/// `super::` paths are resolved per file and inline module, so no sibling is reached unseen.
#[test]
fn super_paths_resolve_against_the_file_module() {
    let found = check(&[("timezone.rs", "use super::cmd::Thing;\n")]);
    let want = "src/timezone.rs:1: timezone (layer 0) reaches cmd (layer 14): use super::cmd::Thing;";
    assert_one(&found, want);
    let nested = "use super::batch::B;\nuse super::super::sigma::X;\n";
    let found = check(&[("decode/gate.rs", nested)]);
    assert_one(&found, "src/decode/gate.rs:2: decode (layer 3) reaches sigma");
    // In an inline module, `super` is the file's own module: `output::cmd`, not the top-level `cmd`.
    let own = "fn cmd() {}\n#[cfg(test)]\nmod tests {\n    use super::cmd;\n}\n";
    assert_none(&check(&[("output.rs", own)]), "violations");
}

/// Same-layer imports are allowed, but not in a cycle, which is named edge by edge.
#[test]
fn a_cycle_within_one_layer_is_named_with_each_edge() {
    let one_way = ("lake/a.rs", "use crate::verify::V;\n");
    assert_none(&check(&[one_way]), "violations");
    let found = check(&[one_way, ("verify/b.rs", "fn f() {\n    crate::lake::g()\n}\n")]);
    let want = "import cycle between lake, verify: lake -> verify -> lake\n    \
                src/lake/a.rs:1: lake reaches verify: use crate::verify::V;\n    \
                src/verify/b.rs:2: verify reaches lake: crate::lake::g()";
    assert_one(&found, want);
}

/// A new top-level module must be placed in the layers before it can be checked.
#[test]
fn a_module_in_no_layer_is_reported() {
    let found = check(&[("mystery/mod.rs", "pub fn f() {}\n")]);
    let want = "src/mystery/mod.rs: module mystery is in no layer: add it to LAYERS and docs/architecture.md";
    assert_one(&found, want);
}

/// The world check sees `super::` and `crate::world::` edges between files and their cycles.
#[test]
fn world_files_are_nodes_of_their_own_cycle_check() {
    let mut files = planted(&[
        ("world.rs", "pub mod a;\npub struct W;\n"),
        ("world/a.rs", "use super::b::B;\n"),
    ]);
    assert_none(&world_cycles(&files, "gen/"), "cycles");
    files.push(("world/b.rs".into(), "use crate::world::{a::A, W};\n".into()));
    let want = "import cycle between world::a, world::b: world::a -> world::b -> world::a\n    \
                gen/world/a.rs:1: world::a reaches world::b: use super::b::B;\n    \
                gen/world/b.rs:1: world::b reaches world::a: use crate::world::{a::A, W};";
    assert_one(&world_cycles(&files, "gen/"), want);
}
