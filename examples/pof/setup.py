# The proof-of-concept module, built as an HPy user would build it:
#
#   python setup.py --hpy-abi=cpython   build_ext --inplace   # pof.cpython-3XY-....so
#   python setup.py --hpy-abi=universal build_ext --inplace   # pof.hpy0.so + pof.py stub
#   python setup.py --hpy-abi=hybrid    build_ext --inplace   # pof.hpy0-cp3XY.so + stub
#
# hpy-rs must be installed in the same environment: it provides the
# `hpy_ext_modules` keyword and the `--hpy-abi` option. pyproject.toml
# declares it as a build requirement (HPy 0.9 projects also used
# `setup_requires=['hpy']`, which current setuptools deprecates).
from setuptools import setup, Extension

setup(
    name="hpy-pof",
    version="0.1",
    hpy_ext_modules=[
        Extension("pof", sources=["pof.c"]),
    ],
)
