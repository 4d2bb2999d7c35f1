"""Refuse to run from a package folder that another distribution's files share.

The import names ``autograd`` and ``nn`` are also used by other PyPI
distributions (HIPS ``autograd`` is widely installed, e.g. by lifelines). pip
installing two of them into one environment writes both into the same folder,
so files of one overwrite the other's. Each package of ours runs ``check`` on
import (this module's import does it for autograd, nn/_foreign.py for nn): one listing of the folder that holds it (site-packages, or the
repository root), looking for another distribution's metadata under our
import name. (``nn`` also checks that the ``autograd`` it imports is ours:
nn/_foreign.py.) Only the standard library is used, so this runs before
anything can fail in a confusing way.
"""
import os

ENV = ("install tapegrad into its own virtual environment (python -m venv .venv && . .venv/bin/activate "
        "&& pip install -e . from the repository), apart from programs that need the other package")


def check(package, init_file):
    """ImportError if the folder holding ``package`` also holds metadata of another
    distribution named ``package`` (its files and ours are then mixed)."""
    folder = os.path.dirname(os.path.dirname(os.path.abspath(init_file)))
    try:
        names = os.listdir(folder)
    except OSError:
        return
    foreign = sorted(n for n in names if n.endswith((".dist-info", ".egg-info"))
                     and n.split("-")[0].split(".")[0].lower().replace("_", "-") == package)
    if foreign:
        raise ImportError(
            f"{package} (tapegrad): {folder} also holds {', '.join(foreign)}, another distribution that uses "
            f"the import name '{package}'{' (HIPS autograd, installed e.g. by lifelines)' if package == 'autograd' else ''}. "
            f"pip installed both into {os.path.join(folder, package)}, so their files are mixed and neither "
            f"can be trusted. Fix: pip uninstall {package} tapegrad, then {ENV}.", name=package)


check("autograd", os.path.join(os.path.dirname(os.path.abspath(__file__)), "__init__.py"))
