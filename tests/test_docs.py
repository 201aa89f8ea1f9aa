"""docs/theory.md and the code point at each other: every section the code cites exists, and every
module and test a section names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / "docs" / "theory.md"
SOURCES = [*ROOT.glob("ganexp/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("conf/**/*.yaml")]


def sections() -> set[int]:
    return {int(n) for n in re.findall(r"^## (\d+)\. ", THEORY.read_text(), re.M)}


def test_every_citation_in_the_code_names_a_section_that_exists():
    cited = []
    for path in SOURCES:
        text = path.read_text()
        for numbers in re.findall(r"docs/theory\.md sections? ([\d, and]+)", text):
            cited += [(path.name, int(n)) for n in re.findall(r"\d+", numbers)]
    assert len(cited) >= 10
    missing = [(name, n) for name, n in cited if n not in sections()]
    assert not missing, missing
    assert not [p for p in SOURCES if "THEORY" + ".md" in p.read_text()]  # the old name


def test_every_module_and_test_the_theory_names_exists():
    text = THEORY.read_text()
    modules = set(re.findall(r"`(ganexp/[\w/]+(?:\.py)?/?)`", text))
    tests = set(re.findall(r"`(tests/\w+\.py)(?:::(\w+))?`", text))
    assert len(modules) >= 15 and len(tests) >= 12
    for module in modules:
        assert (ROOT / module).exists(), module
    for file, name in tests:
        assert (ROOT / file).is_file(), file
        if name:
            assert re.search(rf"^def {name}\(", (ROOT / file).read_text(), re.M), (file, name)
    every_test = "\n".join(p.read_text() for p in ROOT.glob("tests/test_*.py"))
    for name in re.findall(r"`(test_\w+)`", text):
        assert re.search(rf"^def {name}\(", every_test, re.M), name


def test_every_picture_and_claim_the_pages_name_exists():
    from ganexp.claims import claims

    pages = [ROOT / "README.md", *ROOT.glob("docs/*.md")]
    shown = 0
    for page in pages:
        text = page.read_text()
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
            assert (page.parent / target).is_file(), (page.name, target)
            shown += 1
        for name in re.findall(r"python -m ganexp\.claims ([a-z_]+)", text):
            assert name in claims(), (page.name, name)
    assert shown >= 10
    gallery = (ROOT / "docs" / "claims.md").read_text()
    assert all(f"python -m ganexp.claims {name} " in gallery for name in claims())
