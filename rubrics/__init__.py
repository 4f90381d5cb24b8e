"""Rubric data files (TOML).  Installed as the package ``pedro.rubrics`` only so
that ``importlib.resources`` finds them after ``pip install .``; see
``pedro.rubric`` for the loader."""
