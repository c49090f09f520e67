"""The README and docs stay in step with the command (as datasette's test_docs does)."""

from pathlib import Path

from isoplan.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in subcommands():
        assert f"`isoplan {name}`" in readme, name


def test_readme_setup_is_the_two_make_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_every_household_input_is_in_the_readme():
    from isoplan.tax.fields import COUNT_FIELDS, MONEY_FIELDS

    readme = (ROOT / "README.md").read_text()
    for name in [n for n, _, _ in MONEY_FIELDS] + [n for n, _ in COUNT_FIELDS]:
        assert f"`{name}`" in readme, name


def test_the_demo_plan_is_the_seed_example():
    bundled = ROOT / "src" / "isoplan" / "data" / "demo-plan.toml"
    assert bundled.read_text() == (ROOT / "examples" / "staging-three-years.toml").read_text()


def test_licence_names_the_authors():
    assert "the isoplan authors" in (ROOT / "LICENSE").read_text()
