"""The deployment files say what the README promises: two services from one image, memory limits
sized for a 1 GiB host, working healthchecks without curl, shared ./data and ./config, a non-root
image, and no secret values anywhere but the user's own .env.

No Docker engine is needed: the compose file is parsed as YAML, the Dockerfile as text, and each
healthcheck command is run here with this Python against a throwaway state file or HTTP server.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAME = re.compile(r"(_KEY|TOKEN|PASSWORD|WEBHOOK|SECRET)", re.IGNORECASE)
MEM_LIMITS_MB = {"bot": 400, "dashboard": 350}


@pytest.fixture(scope="module")
def compose() -> dict:
    return YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile_lines() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)  # fold line continuations
    return [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _mem_mb(value: str | int) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmg]?)b?", str(value).strip().lower())
    assert m, f"unreadable memory size {value!r}"
    scale = {"": 1 / 2**20, "b": 1 / 2**20, "k": 1 / 1024, "m": 1, "g": 1024}[m.group(2)]
    return float(m.group(1)) * scale


def _healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] == "CMD", "use the exec form: [CMD, python, -c, ...]"
    argv = list(test[1:])
    assert argv[0] == "python", "healthchecks run python (the slim image has no curl or wget)"
    return [sys.executable, *argv[1:]]


def test_both_services_exist(compose):
    assert {"bot", "dashboard"} <= set(compose["services"])


@pytest.mark.parametrize("name", ["bot", "dashboard"])
def test_service_runtime_settings(compose, name):
    svc = compose["services"][name]
    assert svc.get("build"), f"{name} builds the project image"
    assert svc.get("restart") == "unless-stopped"
    assert _mem_mb(svc["mem_limit"]) == MEM_LIMITS_MB[name]
    volumes = [str(v).split(":")[0] for v in svc["volumes"]]
    assert "./data" in volumes and "./config" in volumes
    assert svc["logging"]["driver"] == "json-file"
    assert str(svc["logging"]["options"]["max-size"]) == "10m"
    assert str(svc["logging"]["options"]["max-file"]) == "3"
    optional_env = [e for e in svc["env_file"] if isinstance(e, dict) and e.get("path") == ".env"]
    assert optional_env and optional_env[0].get("required") is False, "env_file .env must be required: false"
    hc = svc["healthcheck"]
    assert hc.get("test") and hc.get("interval") and hc.get("timeout")
    assert not re.search(r"\b(curl|wget)\b", json.dumps(hc["test"]))


def test_both_services_share_one_image(compose):
    bot, dash = compose["services"]["bot"], compose["services"]["dashboard"]
    assert bot["build"] == dash["build"] and bot.get("image") == dash.get("image")


def test_commands(compose):
    assert compose["services"]["bot"]["command"][:4] == ["python", "-m", "bot", "run"]
    dash = compose["services"]["dashboard"]["command"]
    assert dash[:3] == ["streamlit", "run", "app.py"]
    assert dash[dash.index("--server.port") + 1] == "8501"
    assert dash[dash.index("--server.address") + 1] == "0.0.0.0"
    assert "8501:8501" in [str(p) for p in compose["services"]["dashboard"]["ports"]]


def _walk_env_assignments(compose: dict):
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.partition("=")[::2] for e in env)
        for key, value in items:
            yield name, str(key), "" if value is None else str(value)
        build = svc.get("build")
        if isinstance(build, dict):
            args = build.get("args") or {}
            items = args.items() if isinstance(args, dict) else (a.partition("=")[::2] for a in args)
            for key, value in items:
                yield name, str(key), "" if value is None else str(value)


def secret_literals(compose: dict) -> list[str]:
    """Secret-named variables given a literal value (a bare `${VAR}` pass-through is fine)."""
    return [
        f"{service}: {key} is given a literal value; secrets belong in .env"
        for service, key, value in _walk_env_assignments(compose)
        if SECRET_NAME.search(key) and value and not re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", value)
    ]


def test_no_secret_values_in_compose(compose):
    assert secret_literals(compose) == []


def test_secret_check_catches_literals():
    bad = {"services": {
        "a": {"environment": {"TELEGRAM_BOT_TOKEN": "123:abc", "LOG_LEVEL": "info"}},
        "b": {"environment": ["DASHBOARD_PASSWORD=hunter2", "POLYMARKET_PRIVATE_KEY="]},
        "c": {"build": {"context": ".", "args": {"DISCORD_WEBHOOK_URL": "https://example.invalid/x"}}},
        "d": {"environment": {"POLYMARKET_PRIVATE_KEY": "${POLYMARKET_PRIVATE_KEY:-0xdead}"}},
    }}
    flagged = secret_literals(bad)
    assert len(flagged) == 4, flagged
    ok = {"services": {"a": {"environment": {"TELEGRAM_BOT_TOKEN": "${TELEGRAM_BOT_TOKEN}", "X": "1"}}}}
    assert secret_literals(ok) == []


def test_no_secret_values_in_dockerfile(dockerfile_lines):
    for line in dockerfile_lines:
        instr, _, rest = line.partition(" ")
        if instr.upper() not in ("ENV", "ARG"):
            continue
        for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)[= ]([^\s]*)", rest):
            if SECRET_NAME.search(key):
                assert value.strip("\"'") == "", f"Dockerfile sets {key}; secrets belong in .env"


def test_env_example_lists_secrets_without_values():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    pairs = dict(
        ln.split("=", 1) for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    )
    for name in ("POLYMARKET_PRIVATE_KEY", "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "DISCORD_WEBHOOK_URL",
                 "DASHBOARD_PASSWORD", "POLYBOT_PROFILE"):
        assert name in pairs, f".env.example lacks {name}"
        assert pairs[name].strip() == "", f".env.example gives {name} a value"


def test_secrets_and_state_stay_out_of_images_and_git():
    dockerignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", "data", ".git"):
        assert entry in dockerignore, f".dockerignore lacks {entry}"
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_dockerfile_runs_as_non_root(dockerfile_lines):
    assert dockerfile_lines[0].startswith("FROM python:3.11-slim")
    users = [ln.split(None, 1)[1].strip() for ln in dockerfile_lines if ln.upper().startswith("USER ")]
    assert users, "Dockerfile never switches away from root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(ln.upper().startswith("EXPOSE ") and "8501" in ln for ln in dockerfile_lines)
    assert any("pip install --no-cache-dir -r requirements.txt" in ln for ln in dockerfile_lines)
    assert not any(re.search(r"\b(build-essential|gcc|g\+\+)\b", ln) for ln in dockerfile_lines)
    cmd = [ln for ln in dockerfile_lines if ln.upper().startswith("CMD ")][-1]
    assert json.loads(cmd[4:]) == ["python", "-m", "bot", "run"]


# --- the healthchecks actually work --------------------------------------------------------------


def _run_bot_check(compose, tmp_path: Path, state: dict | None) -> int:
    argv = _healthcheck_argv(compose["services"]["bot"])
    code = argv[-1].replace("/app/data/", str(tmp_path / "data") + "/")
    (tmp_path / "data").mkdir(exist_ok=True)
    if state is not None:
        (tmp_path / "data" / "state.json").write_text(json.dumps(state), encoding="utf-8")
    return subprocess.run([*argv[:-1], code], cwd=tmp_path, capture_output=True, timeout=30).returncode


def test_bot_healthcheck_passes_on_fresh_heartbeat(compose, tmp_path):
    assert _run_bot_check(compose, tmp_path, {"written_ts_ms": int(time.time() * 1000)}) == 0


def test_bot_healthcheck_fails_on_stale_heartbeat(compose, tmp_path):
    assert _run_bot_check(compose, tmp_path, {"written_ts_ms": int(time.time() * 1000) - 15_000}) != 0


def test_bot_healthcheck_fails_without_state(compose, tmp_path):
    assert _run_bot_check(compose, tmp_path, None) != 0


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (stdlib name)
        ok = self.path == "/_stcore/health"
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"ok" if ok else b"")

    def log_message(self, *args):
        pass


def test_dashboard_healthcheck_probes_streamlit_health_endpoint(compose):
    argv = _healthcheck_argv(compose["services"]["dashboard"])
    assert "http://127.0.0.1:8501/_stcore/health" in argv[-1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        code = argv[-1].replace("127.0.0.1:8501", f"127.0.0.1:{port}")
        assert subprocess.run([*argv[:-1], code], capture_output=True, timeout=30).returncode == 0
        down = argv[-1].replace("127.0.0.1:8501/_stcore/health", f"127.0.0.1:{port}/missing")
        assert subprocess.run([*argv[:-1], down], capture_output=True, timeout=30).returncode != 0
    finally:
        server.shutdown()
        server.server_close()


# --- live only by explicit override, lean image, real engine when there is one -------------------


def test_live_trading_needs_the_explicit_override_file(compose):
    bot = compose["services"]["bot"]
    assert "--confirm-live" not in bot["command"]
    # A POLYBOT_CONFIRM_LIVE=yes in .env must not reach the base bot: environment beats env_file.
    assert str(bot["environment"]["POLYBOT_CONFIRM_LIVE"]).lower() == "no"
    live = YAML(typ="safe").load((ROOT / "docker-compose.live.yml").read_text(encoding="utf-8"))
    assert set(live["services"]) == {"bot"}, "the override touches the bot only"
    assert "--confirm-live" in live["services"]["bot"]["command"]
    assert live["services"]["bot"]["environment"]["POLYBOT_CONFIRM_LIVE"] == "yes"
    assert secret_literals(live) == []


def test_runtime_requirements_are_pinned_and_never_pull_cuda(dockerfile_lines):
    reqs = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in reqs if ln]
    assert reqs and all(re.fullmatch(r"[A-Za-z0-9_.\[\],-]+==[A-Za-z0-9_.+-]+", ln) for ln in reqs), reqs
    names = {ln.split("==")[0].split("[")[0].lower() for ln in reqs}
    # The plain xgboost wheel depends on nvidia-nccl-cu12 (335 MB); xgboost-cpu is the same module.
    assert "xgboost" not in names, "pin xgboost-cpu==X (import name stays `xgboost`), not xgboost"
    assert not any(name.startswith("nvidia-") for name in names)
    assert any("pip check" in ln and "nvidia-" in ln for ln in dockerfile_lines), "the build must refuse CUDA wheels"


def _docker(needs_engine: bool) -> str | None:
    """The docker client when it can do the job: `compose config` needs only the compose plugin,
    a build needs a running engine."""
    import shutil

    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = [docker, "info", "--format", "{{.ServerVersion}}"] if needs_engine else [docker, "compose", "version"]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    return docker if done.returncode == 0 and done.stdout.strip() else None


def test_docker_compose_config_accepts_both_files():
    docker = _docker(needs_engine=False)
    if docker is None:
        pytest.skip("no `docker compose` plugin on this machine: `docker compose config` was not run "
                    "(the YAML checks above still ran)")
    for files in (["-f", "docker-compose.yml"], ["-f", "docker-compose.yml", "-f", "docker-compose.live.yml"]):
        done = subprocess.run([docker, "compose", *files, "config", "--quiet"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_image_builds_under_a_gigabyte_and_runs_as_uid_1000():
    docker = _docker(needs_engine=True)
    if docker is None:
        pytest.skip("no Docker engine on this machine: the image build was not run (the Dockerfile checks above still ran)")
    build = subprocess.run([docker, "build", "-t", "polybot:test", "."], cwd=ROOT, capture_output=True, text=True,
                           timeout=1800)
    assert build.returncode == 0, build.stderr[-4000:]
    size = subprocess.run([docker, "image", "inspect", "polybot:test", "--format", "{{.Size}}"], capture_output=True,
                          text=True, timeout=60)
    assert int(size.stdout.strip()) < 1024**3, f"image is {int(size.stdout) / 2**20:.0f} MB, over the 1 GB target"
    user = subprocess.run([docker, "run", "--rm", "polybot:test", "id", "-u"], capture_output=True, text=True, timeout=120)
    assert user.stdout.strip() == "1000"


def test_duckdb_and_malloc_are_sized_to_the_containers(compose, monkeypatch):
    """The bot's DuckDB cache and threads come from the compose file through the loader's env
    overrides (so they match mem_limit whatever config.yaml says), the dashboard caps its queries,
    and both limit glibc's malloc arenas."""
    from bot.adapters.storage.snapshot_reader import QUERY_MEMORY_ENV, query_memory_limit_mb
    from bot.config.loader import ENV_OVERRIDES, load_settings

    bot, dash = compose["services"]["bot"], compose["services"]["dashboard"]
    bot_env = {k: str(v) for k, v in bot["environment"].items()}
    for name in ENV_OVERRIDES:
        assert name in bot_env, f"bot service must set {name}"
        monkeypatch.setenv(name, bot_env[name])
    storage = load_settings().storage  # the values the container's bot runs with, validated
    assert storage.duckdb_memory_limit_mb == int(bot_env["POLYBOT_DUCKDB_MEMORY_LIMIT_MB"])
    # Python holds ~150-200 MB at 2,000 tokens (soak): DuckDB's cap must leave that room.
    assert storage.duckdb_memory_limit_mb <= 0.4 * _mem_mb(bot["mem_limit"])
    assert storage.duckdb_threads == 1, "one thread: the t3.micro's two vCPUs are shared with the dashboard"
    dash_env = {k: str(v) for k, v in dash["environment"].items()}
    monkeypatch.setenv(QUERY_MEMORY_ENV, dash_env[QUERY_MEMORY_ENV])
    # Streamlit with a session open holds ~210 MB (soak); a query cap above the rest risks an OOM kill.
    assert query_memory_limit_mb() + 210 <= _mem_mb(dash["mem_limit"])
    for env in (bot_env, dash_env):
        assert env.get("MALLOC_ARENA_MAX") == "2"
        assert env.get("DUCKDB_JE_MALLOC_CONF") == "tcache:false"
    assert "POLYBOT_DUCKDB_MEMORY_LIMIT_MB" not in dash_env, "the dashboard's Settings page shows config.yaml"
