@echo off
rem Windows twin of scripts/dream-mcp. Claude Code starts an MCP server's command through cross-spawn, which on
rem Windows resolves the extensionless `scripts/dream-mcp` of plugin.json to this file (PATHEXT) and runs it with
rem cmd.exe. dream-mcp.ps1 finds, downloads (sha256-checked) or builds the binary and prints its path; the binary
rem is then started from here so that it, not PowerShell, owns stdin and stdout (the MCP channel).
setlocal
set "DREAM_MCP_RESOLVED="
for /f "usebackq delims=" %%P in (`powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "%~dp0dream-mcp.ps1"`) do set "DREAM_MCP_RESOLVED=%%P"
if not defined DREAM_MCP_RESOLVED exit /b 1
"%DREAM_MCP_RESOLVED%" %*
exit /b %ERRORLEVEL%
