"""The `xuncha` console script (and `python -m server`): Flask's command line around the
app that `create_app` makes, with the commands the factory adds (`server.cli`)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from server.app import create_app


def main() -> None:
    cli = FlaskGroup(create_app=create_app, add_version_option=False,
                     help="xuncha: field inspection and hazard register server.")
    cli.main(prog_name="xuncha")


if __name__ == "__main__":
    main()
