"""``microcasa export``: the white paper, country summaries, data files and the codebook.

Each kind of export adds its subcommand to :data:`export` here; pandas, scipy and
openpyxl load only when a subcommand runs.
"""

from __future__ import annotations

import click


@click.group()
def export() -> None:
    """Write the study's files: white paper, country summaries, data files, codebook."""


from exports.data_cli import codebook, data  # noqa: E402 - the subcommands extend `export`

export.add_command(data)
export.add_command(codebook)
from exports.country_cli import country  # noqa: E402

export.add_command(country)
from exports.whitepaper_cli import whitepaper  # noqa: E402

export.add_command(whitepaper)
