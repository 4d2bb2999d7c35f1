"""Checks run when nn is imported (see autograd/_clash.py): the ``autograd`` it
imports must be tapegrad's, and nn's folder must not be shared with another
distribution named ``nn``. The first error is built here, self-contained: that
``autograd`` is someone else's, so nothing of ours can be imported from it.
"""
import os

import autograd


def foreign_autograd(module):
    """The ImportError for ``nn`` finding ``module`` under the name ``autograd``."""
    where = getattr(module, "__file__", None) or "an unknown place"
    owner = ""
    try:
        from importlib.metadata import packages_distributions, version
        dists = [d for d in packages_distributions().get("autograd", []) if d != "tapegrad"]
        owner = "".join(f" (distribution '{d}' {version(d)})" for d in dists)
    except Exception:       # noqa: BLE001  (Python 3.9 has no packages_distributions; the rest still helps)
        pass
    return ImportError(
        f"nn (tapegrad) needs tapegrad's 'autograd' package, but 'import autograd' found another one: "
        f"{where}{owner}, probably HIPS autograd (installed e.g. by lifelines). Both use the import name "
        "'autograd' and can't share one environment: install tapegrad into its own virtual environment "
        "(python -m venv .venv && . .venv/bin/activate && pip install -e . from the repository); or, if "
        "nothing here needs the other package, pip uninstall autograd and reinstall tapegrad "
        "(pip install --force-reinstall), since the two may have overwritten each other's files.",
        name="autograd")


if not getattr(autograd, "__tapegrad__", False):       # HIPS autograd (or another) under our name
    raise foreign_autograd(autograd)

from autograd._clash import check  # noqa: E402  (only once autograd is known to be ours)

check("nn", os.path.join(os.path.dirname(os.path.abspath(__file__)), "__init__.py"))
