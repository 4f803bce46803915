"""A setting, command or guide that exists must be documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from microcasa.cli import main
from microcasa.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(MICROCASA_[A-Z_]+)` \|", README, flags=re.MULTILINE))
    settings = {f"MICROCASA_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "settings missing from README's table"
    assert documented - settings == set(), "README documents settings that do not exist"


def _commands(group: click.Group, prefix: str = "microcasa") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix} {name}"))
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_command_is_in_the_readme() -> None:
    table = "\n".join(line for line in README.splitlines() if line.startswith("| `microcasa"))
    for command in _commands(main):
        # "microcasa db downgrade" may stand as "`db downgrade`" in the row of "db upgrade".
        assert command.removeprefix("microcasa ") in table, f"{command} is not in README's table"


def test_readme_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} → {target}"


def test_readme_has_exactly_two_commands_first() -> None:
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    assert all("\n" not in block for block in blocks)
    assert blocks[0].endswith("microcasa serve --demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1] in ci, ".ci/run runs the README's test command"
