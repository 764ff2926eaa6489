"""The README's Python example runs and prints what the README says it prints."""
import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs_and_matches_its_stated_output():
    text = README.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    stated = re.search(r"prints `(.*?)`", text).group(1)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert buf.getvalue().strip() == stated


def test_readme_states_exactly_two_commands():
    block = re.search(r"## The two commands.*?```bash\n(.*?)```", README.read_text(), re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()]
    assert commands == ["python3 dev.py figures", "python3 dev.py test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python3 dev.py test" in ci
