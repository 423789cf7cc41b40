"""Passwords and tokens on disk: 0600 from their creation, never written through a planted path."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.commands.demo import DemoTokens
from gateway.db.privatefiles import private_dir, read_or_create_secret, write_private


@pytest.fixture
def no_umask() -> Iterator[None]:
    """umask 0: a file made with the default mode and narrowed afterwards would be 0666 first."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_secrets_and_demo_tokens_are_0600_under_any_umask(tmp_path: Path, no_umask: None) -> None:
    secret = read_or_create_secret(tmp_path / "app.password")
    assert mode(tmp_path / "app.password") == 0o600
    assert read_or_create_secret(tmp_path / "app.password") == secret  # kept, not made again
    DemoTokens("seg_gtr", {1: ("Ana", "seg_ana")}).save(tmp_path / "demo-tokens.json")
    assert mode(tmp_path / "demo-tokens.json") == 0o600
    assert DemoTokens.load(tmp_path / "demo-tokens.json") == DemoTokens("seg_gtr", {1: ("Ana", "seg_ana")})


def test_a_planted_symlink_or_file_is_refused_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "somewhere-else"
    target.write_text("theirs")
    (tmp_path / "demo-tokens.json").symlink_to(target)
    with pytest.raises(FileExistsError):
        DemoTokens("seg_gtr", {}).save(tmp_path / "demo-tokens.json")
    (tmp_path / "planted").write_text("theirs")
    with pytest.raises(FileExistsError):
        write_private(tmp_path / "planted", "mine")
    assert target.read_text() == "theirs" and (tmp_path / "planted").read_text() == "theirs"


def test_a_private_folder_is_made_0700_or_narrowed_to_it(tmp_path: Path, no_umask: None) -> None:
    assert mode(private_dir(tmp_path / "new" / "run")) == 0o700
    wide = tmp_path / "older-run"
    wide.mkdir(mode=0o755)
    assert mode(private_dir(wide)) == 0o700
