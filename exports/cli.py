"""``microcasa export``: the white paper, country summaries, data files and the codebook.

Each kind of export adds its subcommand to :data:`export` here; pandas, scipy and
openpyxl load only when a subcommand runs.
"""

from __future__ import annotations

import click


@click.group()
def export() -> None:
    """Write the study's files: white paper, country summaries, data files, codebook."""
