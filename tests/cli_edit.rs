//! Journaled changes from the terminal: `dream-mcp edit` (through `$VISUAL`/`$EDITOR` on a copy outside
//! the memory directory), `rm` and `index`, each one run that `dream-mcp undo` takes back, each refused
//! by the same checks as the tools with nothing changed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::util::{Env, text, write_file};

/// A shell script usable as `$EDITOR` that runs `body` with the file as `$1`.
fn editor(env: &Env, body: &str) -> PathBuf {
    let script = write_file(
        &env.root().join("bin/editor"),
        format!("#!/bin/sh\n{body}\n").as_bytes(),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// The temporary folder edits use in this world (`TMPDIR`).
fn tmp(env: &Env) -> PathBuf {
    let t = env.root().join("tmp");
    std::fs::create_dir_all(&t).unwrap();
    t
}

/// Runs `dream-mcp edit FILE` with `editor` as `$EDITOR` (no `$VISUAL`).
fn edit(env: &Env, file: &str, editor: &Path) -> Output {
    env.command_on_dirs()
        .args(["edit", file])
        .env_remove("VISUAL")
        .env("EDITOR", editor)
        .env("TMPDIR", tmp(env))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Files left in the temporary folder (kept edits).
fn kept(env: &Env) -> Vec<PathBuf> {
    std::fs::read_dir(tmp(env))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn edit_writes_through_the_journal_and_undo_restores_the_bytes() {
    let env = Env::new();
    env.healthy();
    let before = env.get("a.md").unwrap();
    let ed = editor(&env, r#"printf 'Builds need Node 22.\n' >> "$1""#);
    let o = edit(&env, "a.md", &ed);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let after = env.get("a.md").unwrap();
    assert!(
        text(&after).ends_with("first\nBuilds need Node 22.\n"),
        "{}",
        text(&after)
    );
    let out = text(&o.stdout);
    assert!(out.contains("changed  a.md"), "{out}");
    assert!(out.contains("dream-mcp undo "), "{out}");
    let runs = env.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].summary, "edit a.md from the terminal");
    assert!(kept(&env).is_empty(), "the copy is removed after a write");
    let u = env.cli(&["undo", &runs[0].id]);
    assert_eq!(u.status.code(), Some(0), "{}", text(&u.stderr));
    assert_eq!(env.get("a.md").unwrap(), before);
}

#[test]
fn edit_of_an_absolute_path_inside_the_memory_directory_and_of_a_new_file() {
    let env = Env::new();
    env.healthy();
    let ed = editor(
        &env,
        r#"printf -- '---\nname: n\ndescription: d\ntype: project\n---\nnew\n' > "$1""#,
    );
    let abs = env.memory.join("new.md");
    let o = edit(&env, &abs.to_string_lossy(), &ed);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&env.get("new.md").unwrap()).ends_with("new\n"));
    assert!(
        text(&o.stdout).contains("created  new.md"),
        "{}",
        text(&o.stdout)
    );
    let u = env.cli(&["undo"]);
    assert_eq!(u.status.code(), Some(0), "{}", text(&u.stderr));
    assert!(env.get("new.md").is_none());
}

#[test]
fn a_refused_edit_changes_nothing_and_keeps_the_text_where_it_says() {
    let env = Env::new();
    env.healthy();
    let tree = env.tree();
    let ed = editor(
        &env,
        r#"printf 'CI token ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n' >> "$1""#,
    );
    let o = edit(&env, "a.md", &ed);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("credential") && err.contains("line 7"),
        "{err}"
    );
    let copies = kept(&env);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(err.contains(&copies[0].display().to_string()), "{err}");
    assert!(text(&std::fs::read(&copies[0]).unwrap()).contains("ghp_"));
    tree.assert_unchanged(&env.tree(), "refused edit");
    assert!(env.runs().is_empty(), "a refused edit leaves no run");
}

#[test]
fn editing_the_index_past_200_lines_is_refused_by_the_index_rule() {
    let env = Env::new();
    env.healthy();
    let tree = env.tree();
    let ed = editor(
        &env,
        r#"i=0; while [ $i -lt 205 ]; do echo "- x $i" >> "$1"; i=$((i+1)); done"#,
    );
    let o = edit(&env, "MEMORY.md", &ed);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("MEMORY.md not written") && err.contains("200"),
        "{err}"
    );
    assert!(err.contains("kept in"), "{err}");
    tree.assert_unchanged(&env.tree(), "refused index edit");
}

#[test]
fn edit_refuses_a_path_outside_the_memory_directory_before_opening_the_editor() {
    let env = Env::new();
    env.healthy();
    let marker = env.root().join("editor-ran");
    let ed = editor(&env, &format!("touch '{}'", marker.display()));
    for bad in ["../outside/secret.md", "/etc/passwd", "notes.txt"] {
        let o = edit(&env, bad, &ed);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            text(&o.stderr).contains("refused"),
            "{bad}: {}",
            text(&o.stderr)
        );
    }
    assert!(!marker.exists(), "the editor never opened");
    let o = env
        .command_on_dirs()
        .args(["edit", "a.md"])
        .env_remove("VISUAL")
        .env_remove("EDITOR")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("set VISUAL or EDITOR"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn an_unchanged_edit_writes_nothing() {
    let env = Env::new();
    env.healthy();
    let ed = editor(&env, "true");
    let o = edit(&env, "a.md", &ed);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("unchanged"));
    assert!(env.runs().is_empty());
}

#[test]
fn rm_is_a_run_that_undo_takes_back_and_names_the_links_left() {
    let env = Env::new();
    env.healthy();
    let before = env.get("a.md").unwrap();
    let o = env.cli(&["rm", "a.md"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(env.get("a.md").is_none());
    let out = text(&o.stdout);
    assert!(out.contains("MEMORY.md still links to a.md"), "{out}");
    assert!(out.contains("deleted  a.md"), "{out}");
    let o = env.cli(&["rm", "MEMORY.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("rewrite_index"),
        "{}",
        text(&o.stderr)
    );
    let u = env.cli(&["undo"]);
    assert_eq!(u.status.code(), Some(0), "{}", text(&u.stderr));
    assert_eq!(env.get("a.md").unwrap(), before);
}

fn index_from_stdin(env: &Env, content: &str) -> Output {
    let mut child = env
        .command_on_dirs()
        .arg("index")
        .env("TMPDIR", tmp(env))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn index_from_stdin_or_a_file_is_checked_journaled_and_undone() {
    let env = Env::new();
    env.healthy();
    let before = env.get("MEMORY.md").unwrap();
    let o = index_from_stdin(&env, "- [A](a.md) — first\n");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&env.get("MEMORY.md").unwrap()),
        "- [A](a.md) — first\n"
    );
    assert!(
        text(&o.stdout).contains("team/b.md"),
        "the unlinked file is warned about"
    );
    let u = env.cli(&["undo"]);
    assert_eq!(u.status.code(), Some(0), "{}", text(&u.stderr));
    assert_eq!(env.get("MEMORY.md").unwrap(), before);

    let tree = env.tree();
    let o = index_from_stdin(&env, "- [Gone](gone.md) — x\n");
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("gone.md") && err.contains("kept in"), "{err}");
    tree.assert_unchanged(&env.tree(), "refused index");

    let draft = write_file(
        &env.root().join("draft.md"),
        "- [A](a.md) — a\n- [B](team/b.md) — b\n- [A2](a.md) — again\n".as_bytes(),
    );
    let o = env.cli(&["index", &draft.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&env.get("MEMORY.md").unwrap()).contains("again"));
    let runs = env.runs();
    assert_eq!(
        runs.last().unwrap().summary,
        "rewrite MEMORY.md from the terminal"
    );
}
