import sys

# Every test process imports the whole service and every test module (which pytest rewrites):
# ~10 s of CPU each when nothing was compiled before. PYTHONDONTWRITEBYTECODE, set on this
# machine's image and in CI, would have each process of each run compile them all again; the
# suite writes its bytecode to __pycache__/ (git-ignored), as a Python run does by default.
# Here, in the package conftest belongs to, so that it holds before conftest imports anything.
sys.dont_write_bytecode = False
