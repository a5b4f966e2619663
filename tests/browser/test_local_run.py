"""`make run PORT=...`: the login the local run prints names the port it serves on."""

import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from factbase.core.management.commands import local_admin

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_local_admin_prints_the_port_it_is_given(tmp_path, monkeypatch, settings, capsys):
    settings.DEBUG = True
    monkeypatch.setattr(local_admin, "PASSWORD_FILE", tmp_path / "password")
    call_command("local_admin", "--port", "8010")
    assert "Admin login: http://127.0.0.1:8010/admin/" in capsys.readouterr().out
    call_command("local_admin")
    assert "Admin login: http://127.0.0.1:8000/admin/" in capsys.readouterr().out
    for wrong in ("0", "65536", "80a", "-1"):
        with pytest.raises(CommandError, match="not a port number"):
            call_command("local_admin", "--port", wrong)


@pytest.mark.parametrize(("argument", "port"), [([], "8000"), (["PORT=8010"], "8010")])
def test_make_run_passes_its_port_to_the_server_and_the_login(argument, port):
    plan = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", *argument],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"local_admin --port {port}\n" in plan
    assert f"runserver 127.0.0.1:{port}\n" in plan
