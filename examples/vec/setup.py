# The vec example, built as an HPy user would build it:
#
#   python setup.py --hpy-abi=cpython   build_ext --inplace   # vec.cpython-3XY-....so
#   python setup.py --hpy-abi=universal build_ext --inplace   # vec.hpy0.so + vec.py stub
#   python setup.py --hpy-abi=hybrid    build_ext --inplace   # vec.hpy0-cp3XY.so + stub
#
# hpy-rs must be installed in the same environment (it provides the
# `hpy_ext_modules` keyword and the `--hpy-abi` option).
from setuptools import setup, Extension

setup(
    name="hpy-vec",
    version="0.1",
    hpy_ext_modules=[
        Extension("vec", sources=["vec.c"], libraries=["m"]),
    ],
)
