//! The whole job on the example, through the MCP client: a scripted consolidation of
//! `examples/messy-memory` that does what the skill asks using only the tools, their findings and the
//! transcript hits, then the after-state checks, then undo restoring the before-state byte for byte.
//!
//! The script stands in for the model: it knows what to look for, but every date it writes comes from a
//! hit's timestamp in `examples/transcripts`, and every file it changes comes from list_memory's findings.

use std::collections::BTreeMap;
use std::fs;

use dream_mcp::RunStatus;
use serde_json::{Value, json};

use crate::util::{Client, Env, copy_tree, example, memory_files};

/// The day of the only session whose matching line `grep_transcripts` finds for `args`.
async fn day_of(client: &Client, args: Value) -> String {
    day_of_hit(client, args, "").await
}

/// Like [`day_of`], keeping only the hits whose snippet mentions `about` (as a reader of the hits would).
async fn day_of_hit(client: &Client, args: Value, about: &str) -> String {
    let v = client.ok("grep_transcripts", args.clone()).await;
    let days: Vec<&str> = v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["snippet"].as_str().is_some_and(|s| s.contains(about)))
        .filter_map(|h| h["timestamp"].as_str().and_then(|t| t.get(..10)))
        .collect();
    let first = days
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no hit for {args}"));
    assert!(
        days.iter().all(|d| *d == first),
        "{args}: hits on several days: {days:?}"
    );
    first.to_string()
}

/// Findings of each kind, as counts.
fn counts(list: &Value) -> BTreeMap<String, u64> {
    list["findings_by_kind"]
        .as_object()
        .expect("findings_by_kind")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or_default()))
        .collect()
}

/// The sha256 list_memory gave for `path`.
fn sha(list: &Value, path: &str) -> String {
    list["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .and_then(|f| f["sha256"].as_str())
        .unwrap_or_else(|| panic!("{path} not listed"))
        .to_string()
}

async fn write(client: &Client, list: &Value, path: &str, content: &str) -> Value {
    client
        .ok(
            "write_memory_file",
            json!({"path": path, "content": content, "expected_sha256": sha(list, path)}),
        )
        .await
}

#[tokio::test]
async fn a_scripted_dream_cleans_the_example_and_undo_restores_it() {
    let env = Env::new();
    copy_tree(&example("messy-memory"), &env.memory, &|_| false);
    copy_tree(&example("messy-project"), &env.project, &|_| false);
    copy_tree(&example("transcripts"), &env.transcripts, &|_| false);
    let before = memory_files(&env.memory);
    let client = env.client().await;

    // Orient.
    client.ok("start_dream", json!({})).await;
    let list = client
        .ok(
            "list_memory",
            json!({"findings_per_kind": 200, "files_limit": 500}),
        )
        .await;
    let found = counts(&list);
    for kind in [
        "over_line_limit",
        "dead_link",
        "orphan",
        "not_a_pointer",
        "relative_date",
        "stale_path",
        "duplicate",
        "secret",
        "frontmatter",
    ] {
        assert!(
            found.get(kind).copied().unwrap_or(0) > 0,
            "{kind}: {found:?}"
        );
    }
    let undated: Vec<u64> = list["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "relative_date" && f["file"] == "build-commands.md")
        .filter_map(|f| f["line"].as_u64())
        .collect();
    assert_eq!(
        undated.len(),
        6,
        "six undated yesterdays in build-commands.md"
    );

    // Gather signal: each relative date and each decision, dated by the session that shows it.
    let user = |pattern: &str| json!({"pattern": pattern, "role": "user"});
    let fresh_clone = day_of(&client, user("cloned the repo fresh")).await;
    let git_clean = day_of(&client, user("git clean -fdx")).await;
    let refused = day_of(
        &client,
        json!({"pattern": "connect ECONNREFUSED 127\\.0\\.0\\.1:5433", "include_tool_output": true}),
    )
    .await;
    let worktree = day_of(&client, user("git worktree add")).await;
    let fastify = day_of(&client, user("from Express to Fastify")).await;
    let check_added = day_of(&client, user("npm run check")).await;
    let correction = day_of_hit(&client, json!({"preset": "corrections"}), "clock skew").await;
    let cents = day_of_hit(&client, json!({"preset": "remember"}), "integer cents").await;
    assert_eq!(
        [
            &fresh_clone,
            &git_clean,
            &refused,
            &worktree,
            &fastify,
            &check_added,
            &correction,
            &cents
        ],
        [
            "2026-01-20",
            "2026-02-03",
            "2026-02-03",
            "2026-03-02",
            "2026-02-10",
            "2026-02-24",
            "2026-02-12",
            "2026-02-18"
        ],
        "the transcripts date each event"
    );

    // Consolidate: merge, date, correct at the source; fold random-notes.md's current facts in.
    let build = format!(
        "---\nname: build-commands\ndescription: How to build, test and run tally-api locally, and the codegen step the build depends on\ntype: reference\n---\n\
# Build commands\n\n\
- Install: `npm install` (Node 22).\n\
- Dev server: `npm run dev`, which runs `tsx watch src/server.ts` (nodemon was dropped on {fastify}).\n\
- Tests: `npm test` (vitest, one run); they need the dev database up.\n\
- Build: `npm run build` (tsc into `dist/`).\n\
- `npm run check` (lint, typecheck, tests), added on {check_added}: run it before calling a change done.\n\
- CI (`.github/workflows/ci.yml`) runs codegen, then `npm run check`, then the build.\n\n\
## The codegen step\n\n\
The Kysely types are generated from the live database and git-ignored, so every new checkout needs\n\
`npm run codegen` before `npm run build`, or tsc fails with TS2307 `Cannot find module './schema.gen.js'`.\n\
It happened on a fresh clone ({fresh_clone}), after `git clean -fdx` ({git_clean}) and in a new worktree\n\
({worktree}). Codegen itself needs Postgres: on {refused} it failed with ECONNREFUSED until\n\
`docker compose up -d db` was run. Order: database up, `npm run codegen`, `npm run build`.\n"
    );
    let api = format!(
        "---\nname: api-conventions\ndescription: How routes, validation, errors, money and pagination are written in tally-api (Fastify 5)\ntype: project\n---\n\
# API conventions\n\n\
- Fastify 5 since {fastify} (it replaced Express). `buildServer()` in `src/server.ts` registers the plugins\n\
  in `src/plugins/` and the route modules in `src/routes/` under the `/v1` prefix; `/v0` is gone.\n\
- Each route module is an async plugin; bodies are validated with zod, failures answer 422.\n\
- Errors: throw `AppError(status, code, message)` from `src/errors.ts`; `setErrorHandler` answers\n\
  `{{ error: {{ code, message }} }}`. Priya's client relies on the machine-readable `code` of every 4xx.\n\
- Auth: an `onRequest` hook in `src/plugins/auth.ts` calls `req.jwtVerify()`; `req.user.team_id` scopes every query.\n\
- Creates answer `reply.status(201).send(row)`.\n\
- Money is integer cents everywhere (`amount_cents`), never floats or decimals (asked on {cents}).\n\
- Pagination: `?cursor=` and `?limit=` (at most 100); list responses carry `next_cursor`.\n"
    );
    let debugging = format!(
        "---\nname: debugging\ndescription: Known errors in tally-api, what caused them and what fixed them\ntype: project\n---\n\
# Debugging notes\n\n\
## 401 invalid_token on POST /v1/expenses from the web client\n\n\
Cause: the CORS preflight. `allowedHeaders` in `src/plugins/cors.ts` lacked `Authorization`, so the browser\n\
dropped the header; curl has no preflight, which is why it always worked there. Settled on {correction};\n\
clock skew and middleware order were wrong leads.\n\n\
## ECONNREFUSED 127.0.0.1:5433 in tests\n\n\
The dev Postgres container is down: start it with docker compose.\n"
    );
    let database = "---\nname: database\ndescription: Local Postgres, migrations, Kysely codegen and how money is stored\ntype: reference\n---\n\
- Dev database: `docker compose up -d db` starts Postgres 16 on localhost:5433 (user, password and database\n\
  are all `tally`). Port 5433 because 5432 is taken by the system Postgres on Sam's laptop.\n\
- `DATABASE_URL=postgres://tally:tally@localhost:5433/tally` goes in `.env`, which is not committed.\n\
- Migrations are plain SQL files in `migrations/`, applied in order by `npm run db:migrate`; regenerate the\n\
  Kysely types with `npm run codegen` after each one.\n\
- Money: `expenses.amount_cents` is `bigint` since `migrations/003_amount_cents.sql`.\n\
- `migrations/004_expense_index.sql` indexes (team_id, spent_at) for the monthly report.\n\
- Seed data: `npm run db:seed` runs `src/db/seed.ts` (three demo teams).\n";
    let deploy = "---\nname: deploy\ndescription: How staging deploys work on Fly.io, where secrets live and how to roll back\ntype: project\n---\n\
- Staging deploys with `fly deploy` from main; the app is `tally-api-staging` (see `fly.toml`). Migrations\n\
  run as the release command.\n\
- Secrets are set with `fly secrets set` and never committed: `DATABASE_URL`, `JWT_SECRET`. The staging\n\
  database password lives in Fly, not in notes.\n\
- Roll back with `fly releases`, then `fly deploy --image <previous image>`.\n";
    let oncall = "---\nname: oncall\ndescription: Where to look first when the web client sees 5xx responses from staging\ntype: reference\n---\n\
Priya posts in #tally-dev when the web client sees 5xx responses. First look: `fly logs -a tally-api-staging`.\n\
If the database is the problem, `fly postgres connect -a tally-db-staging` opens a psql shell.\n";
    let testing = "---\nname: testing-strategy\ndescription: What is tested where in tally-api\ntype: project\n---\n\
- Pure functions (money formatting, report grouping) get plain unit tests next to them, `src/**/*.test.ts`.\n\
- After each staging deploy, check `/health` and one authenticated `GET /v1/expenses` by hand.\n";

    // random-notes.md goes first, so the facts it held are written once, where they belong.
    client
        .ok(
            "delete_memory_file",
            json!({"path": "random-notes.md", "expected_sha256": sha(&list, "random-notes.md")}),
        )
        .await;
    for (path, content) in [
        ("build-commands.md", build.as_str()),
        ("api-conventions.md", api.as_str()),
        ("debugging.md", debugging.as_str()),
        ("database.md", database),
        ("deploy.md", deploy),
        ("oncall.md", oncall),
        ("testing-strategy.md", testing),
    ] {
        let out = write(&client, &list, path, content).await;
        assert_eq!(out["warnings"], json!([]), "{path}: {out}");
        // The only findings allowed: lines of the old index that still state a fact now written here
        // (the index is rewritten below).
        let findings: Vec<&serde_json::Value> = out["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| {
                !(f["kind"] == "duplicate"
                    && f["evidence"]["locations"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|l| l["file"] == "MEMORY.md")))
            })
            .collect();
        assert!(findings.is_empty(), "{path} is clean as written: {out}");
    }

    // Prune and index.
    let index = "\
- [Project overview](project-overview.md) — what tally-api is, who works on it, the stack\n\
- [API conventions](api-conventions.md) — Fastify routes, zod, AppError, integer cents, pagination\n\
- [Database](database.md) — Postgres on 5433, migrations, codegen, money columns, seeds\n\
- [Build commands](build-commands.md) — dev, test, check, build; codegen before every build\n\
- [Debugging](debugging.md) — the CORS 401 and a stopped database\n\
- [Deploys](deploy.md) — Fly.io staging, secrets, rollbacks\n\
- [On-call](oncall.md) — where to look when the web client sees 5xx\n\
- [Testing strategy](testing-strategy.md) — what is tested where\n\
- [Testing feedback](feedback_testing.md) — vitest with --run, route tests through inject()\n\
- [Commit feedback](feedback_commits.md) — small commits, imperative subjects\n\
- [User preferences](user-preferences.md) — how Sam likes to work\n";
    client
        .ok(
            "rewrite_index",
            json!({"content": index, "expected_sha256": list["index"]["sha256"]}),
        )
        .await;
    let (finished, acknowledged) = client
        .finish_acknowledging(
            "Index under the limit; Express notes moved to Fastify; dates from transcripts; random-notes.md folded in",
            "stale: the Express setup and the notes it named were replaced by the Fastify move",
        )
        .await;
    assert_eq!(finished["status"], "finished", "{finished}");
    // Every specific the dream let go is acknowledged, with its reason journaled.
    let retention = &finished["retention"];
    let forgotten = retention["forgotten"].as_array().expect("retention audit");
    // The answer names the first few and counts the rest.
    let omitted = retention["forgotten_omitted"].as_u64().unwrap_or(0) as usize;
    assert!(forgotten.len() <= dream_mcp::retention::MAX_NAMED_FORGOTTEN);
    assert_eq!(forgotten.len() + omitted, acknowledged, "{retention}");
    assert!(
        forgotten.iter().all(|f| f["reason"].is_string()),
        "{retention}"
    );
    eprintln!(
        "example dream retention: kept {} of {}, {acknowledged} acknowledged",
        retention["kept"], retention["total"]
    );

    // The after-state.
    let after = client
        .ok(
            "list_memory",
            json!({"findings_per_kind": 200, "files_limit": 500}),
        )
        .await;
    assert_eq!(
        after["findings"],
        json!([]),
        "no findings are left: {}",
        after["findings"]
    );
    let lines = after["index"]["lines"].as_u64().expect("index lines");
    assert!(lines < 50, "MEMORY.md well under 200 lines: {lines}");
    assert_eq!(after["index"]["over_limit"], false);
    assert!(!env.memory.join("random-notes.md").exists());
    let text = |path: &str| fs::read_to_string(env.memory.join(path)).expect("read after-state");
    assert!(text("api-conventions.md").contains("Fastify 5 since 2026-02-10"));
    assert!(!text("api-conventions.md").contains("express-validator"));
    let build_after = text("build-commands.md");
    for day in [
        "2026-01-20",
        "2026-02-03",
        "2026-03-02",
        "2026-02-10",
        "2026-02-24",
    ] {
        assert!(build_after.contains(day), "build-commands.md names {day}");
    }
    assert!(!build_after.to_lowercase().contains("yesterday"));
    assert!(
        text("database.md").contains("npm run db:seed"),
        "a current fact from random-notes.md"
    );
    assert!(!text("debugging.md").contains("clockTolerance"));

    // Undo puts every byte back. (In this process: the finished dream's lock names this process for an
    // hour, as Claude Code's protocol has it, so another process would be told the lock is held.)
    let undone = env.dreamer().undo(None, false).expect("undo the dream");
    assert_eq!(undone.status, RunStatus::Finished);
    assert_eq!(
        memory_files(&env.memory),
        before,
        "undo restores the before-state byte for byte"
    );
}
