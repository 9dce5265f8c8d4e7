"""Regenerate `references.svg`: the references screen on a small .bib, offline.

    python screenshots/make_references_screenshot.py

A fresh temporary cache holds the bundled samples (the four real Pith records); the app
runs headless and offline, so an entry Pith has not cached shows as not fetchable.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pith_tui.core.session import open_session  # noqa: E402
from pith_tui.tui.app import PithApp  # noqa: E402
from pith_tui.tui.screens.references_screen import ReferencesScreen  # noqa: E402

BIB = r"""
@article{damian2021label, title={Label Noise {SGD} Provably Prefers Flat Global Minimizers},
  eprint={2106.06530}, archivePrefix={arXiv}, primaryClass={cs.LG}}
@inproceedings{chaudhari2017entropy, title={{Entropy-SGD}: Biasing Gradient Descent Into Wide Valleys},
  booktitle={ICLR}, url={https://arxiv.org/abs/1611.01838}}
@article{mandt2017sgd, title={Stochastic Gradient Descent as Approximate {B}ayesian Inference},
  journal={arXiv preprint arXiv:1704.04289}}
@misc{dai2018large, title={Towards Theoretical Understanding of Large Batch Training in Stochastic Gradient Descent},
  doi={10.48550/arXiv.1812.00542}}
@misc{wrongtitle, title={Label Noise SGD Prefers Sharp Minimizers}, eprint={2106.06530}}
@misc{notyet, title={A Paper Not in the Cache}, eprint={2401.00001}, archivePrefix={arXiv}}
@book{knuth1984tex, title={The {\TeX}book}, publisher={Addison-Wesley}}
"""


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        bib = Path(folder) / "refs.bib"
        bib.write_text(BIB)
        session = open_session(
            cache_dir=Path(folder) / "cache", config_dir=Path(folder) / "config", offline=True
        )
        app = PithApp(session.resolver, bibliography=bib, notices=session.notices)
        async with app.run_test(size=(130, 22), notifications=True) as pilot:
            while not (
                isinstance(app.screen, ReferencesScreen)
                and app.screen.rows is not None
                and app.screen.rows.done == len(app.screen.rows.planned)
            ):
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            path = app.save_screenshot(filename="references.svg", path=str(HERE))
        session.resolver.cache.close()
    print(f"wrote {Path(path).relative_to(HERE.parent)}")


if __name__ == "__main__":
    asyncio.run(main())
