# Windows half of the launcher (see dream-mcp.cmd): prints the path of the dream-mcp binary to run, in the same
# order as scripts/dream-mcp on macOS and Linux:
#   1. bin\dream-mcp.exe (placed by Claude Code), 2. bin\dream-mcp-x86_64-pc-windows-msvc.exe whose sha256 matches
#   its pin in plugin.json, 3. $env:DREAM_MCP_BIN, 4. a dream-mcp.exe on PATH of this version, 5. one downloaded
#   or built earlier into ${CLAUDE_PLUGIN_DATA}\bin\<version>\, 6. the pinned release asset downloaded from
#   $env:DREAM_MCP_DOWNLOAD_URL (default: this version's GitHub release), checked, moved into place atomically,
#   7. a cargo build in the background.
# Everything it says goes to stderr; stdout carries only the path. Exits 1 with a message when there is none.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Say([string]$Message) { [Console]::Error.WriteLine("dream-mcp: $Message") }
function GiveUp([string]$Message) { Say $Message; exit 1 }
function Found([string]$Path) { [Console]::Out.WriteLine($Path); exit 0 }
function IsFile([string]$Path) { $Path -and (Test-Path -LiteralPath $Path -PathType Leaf) }
function Sha256([string]$Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

$root = if ($env:CLAUDE_PLUGIN_ROOT) { $env:CLAUDE_PLUGIN_ROOT } else { Split-Path -Parent $PSScriptRoot }
$manifestPath = Join-Path $root '.claude-plugin\plugin.json'
try { $manifest = Get-Content -Raw -LiteralPath $manifestPath | ConvertFrom-Json }
catch { GiveUp "The dream plugin's MCP server cannot start: the launcher cannot read $manifestPath; reinstall the plugin with /plugin." }
$version = $manifest.version
$data = if ($env:CLAUDE_PLUGIN_DATA) { $env:CLAUDE_PLUGIN_DATA } else { Join-Path $env:LOCALAPPDATA 'dream-mcp' }
$triple = 'x86_64-pc-windows-msvc'
$asset = "dream-mcp-$triple.exe"
$pin = $null
if ($manifest.binaries -and $manifest.binaries.$asset) { $pin = [string]$manifest.binaries.$asset.sha256 }
$installed = Join-Path $data "bin\$version\dream-mcp.exe"

# 1. Placed by Claude Code (it checked the digest).
$bare = Join-Path $root 'bin\dream-mcp.exe'
if (IsFile $bare) { Found $bare }

# 2. Shipped in the plugin release, run only when its digest is the pinned one.
$shipped = Join-Path $root "bin\$asset"
if ($pin -and (IsFile $shipped)) {
    $digest = Sha256 $shipped
    if ($digest -eq $pin) { Found $shipped }
    Say "$shipped has sha256 $digest, not the $pin pinned in plugin.json; not running it"
}

# 3. An explicit binary; a wrong one is an error, not a silent fallback.
if ($env:DREAM_MCP_BIN) {
    if (IsFile $env:DREAM_MCP_BIN) { Found $env:DREAM_MCP_BIN }
    GiveUp "The dream plugin's MCP server cannot start: DREAM_MCP_BIN is set to '$($env:DREAM_MCP_BIN)', which is not a file; point it at a dream-mcp $version binary or unset it, then run /mcp and reconnect plugin:dream:dream."
}

# 4. A dream-mcp.exe on PATH of exactly this version.
foreach ($dir in ($env:PATH -split ';')) {
    if (-not $dir) { continue }
    $candidate = Join-Path $dir 'dream-mcp.exe'
    if (IsFile $candidate) {
        try { $reported = (& $candidate --version 2>$null | Select-Object -First 1) } catch { $reported = $null }
        if ($reported -eq "dream-mcp $version") { Found $candidate }
    }
}

# 5. Downloaded or built here earlier.
if (IsFile $installed) { Found $installed }

# 6. Download the pinned asset.
$base = if ($env:DREAM_MCP_DOWNLOAD_URL) { $env:DREAM_MCP_DOWNLOAD_URL } else { "https://github.com/dream-mcp/dream/releases/download/v$version" }
$url = "$($base.TrimEnd('/'))/$asset"
$missing = $null
if (-not $pin) {
    $missing = "this copy of the plugin pins no release binary for $triple in plugin.json"
} else {
    $dir = Split-Path -Parent $installed
    $part = Join-Path $dir ".download-$PID"
    try {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Say "downloading $url"
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        $timeout = if ($env:DREAM_MCP_DOWNLOAD_TIMEOUT) { [int]$env:DREAM_MCP_DOWNLOAD_TIMEOUT } else { 20 }
        Invoke-WebRequest -UseBasicParsing -Uri $url -OutFile $part -TimeoutSec $timeout
        $digest = Sha256 $part
        if ($digest -ne $pin) {
            Remove-Item -Force -LiteralPath $part
            $missing = "the download of $url has sha256 $digest, not the $pin pinned in plugin.json, so it was deleted unrun"
        } else {
            Move-Item -Force -LiteralPath $part -Destination $installed
            Say "installed $installed (sha256 $digest)"
            Found $installed
        }
    } catch {
        if (Test-Path -LiteralPath $part) { Remove-Item -Force -LiteralPath $part }
        $missing = "downloading $url failed ($($_.Exception.Message))"
    }
}
Say $missing

# 7. Build it in the background and wait a little.
$cargo = Get-Command cargo -ErrorAction SilentlyContinue
if (-not $cargo) {
    GiveUp "The dream plugin's MCP server cannot start: $missing, and cargo is not installed to build one; check the network or set DREAM_MCP_DOWNLOAD_URL to a mirror of the release, or install Rust from https://rustup.rs so the launcher can build it (a few minutes, once), or set DREAM_MCP_BIN to a dream-mcp $version binary, then run /mcp and reconnect plugin:dream:dream."
}
$log = Join-Path $data "build-$version.log"
$lock = Join-Path $data "build-$version.lock"
New-Item -ItemType Directory -Force -Path $data | Out-Null
if (-not (Test-Path -LiteralPath $lock)) {
    New-Item -ItemType File -Path $lock | Out-Null
    Say "building dream-mcp $version from $root (first use; this takes a few minutes). Log: $log"
    $target = Join-Path $data 'target'
    $built = Join-Path $target 'release\dream-mcp.exe'
    $script = "& '$($cargo.Source)' build --release --locked --manifest-path '$root\Cargo.toml' --target-dir '$target' *> '$log'; " +
        "if (`$LASTEXITCODE -eq 0) { New-Item -ItemType Directory -Force -Path '$(Split-Path -Parent $installed)' | Out-Null; " +
        "Copy-Item -Force '$built' '$installed.tmp'; Move-Item -Force '$installed.tmp' '$installed' }; Remove-Item -Force '$lock'"
    Start-Process -WindowStyle Hidden -FilePath 'powershell.exe' -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $script) | Out-Null
}
$wait = if ($env:DREAM_MCP_BUILD_WAIT) { [int]$env:DREAM_MCP_BUILD_WAIT } else { 25 }
for ($i = 0; $i -lt $wait; $i++) {
    if (IsFile $installed) { Found $installed }
    if (-not (Test-Path -LiteralPath $lock)) { GiveUp "building dream-mcp $version failed; see $log" }
    Start-Sleep -Seconds 1
}
GiveUp "dream-mcp $version is building from source in the background (log: $log); when it finishes, run /mcp in Claude Code and reconnect plugin:dream:dream."
