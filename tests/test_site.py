"""The course site in a real browser.

The site is built from the notebooks the harness executed in the smoke profile
(``results/test/smoke/``, tests/test_notebooks.py runs before this file) and served from
localhost; headless Chromium (Debian's ``chromium`` and ``chromium-driver``, which ``make
test`` installs) opens every page and checks that it logs no console error, that every
figure the notebook made is an image the browser decoded with a non-zero size, that every
sound the notebook embedded is an ``<audio>`` element, and that the navigation links
lead to existing pages.  A full-page screenshot of each page is written to
``site/screenshots/``.  The building blocks are also tested on a small made-up run, without
a browser.
"""
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from s2i_lib.course import site

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "results" / "test"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def _outputs(nb, test):
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if test(o))


def _is_figure(o):
    return o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})


def _is_audio(o):
    return "<audio" in "".join(o.get("data", {}).get("text/html", ""))


def _made_up_run(tmp_path):
    out = tmp_path / "smoke" / "notebooks"
    out.mkdir(parents=True)
    for name, title in (("01_first", "# 01 · First\n\nWith $x^2$."), ("02_second", "# 02 · Second")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(title), nbformat.v4.new_code_cell("1 + 1")])
        nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
        nbformat.write(nb, str(out / f"{name}.ipynb"))
    return tmp_path


def test_pages_link_to_each_other_and_fetch_nothing_from_the_network(tmp_path):
    index = site.build_site(_made_up_run(tmp_path), "smoke")
    pages = {p.name: p.read_text() for p in index.parent.glob("*.html")}
    assert sorted(pages) == ["01_first.html", "02_second.html", "index.html"]
    assert 'href="02_second.html" rel="next"' in pages["01_first.html"] and 'rel="prev"' in pages["02_second.html"]
    assert 'href="01_first.html"' in pages["index.html"] and "01 · First" in pages["index.html"]
    for text in pages.values():
        assert not re.findall(r'(?:src|href)="https?://|url\(["\']?https?://', text), "a resource from the network"
        assert f'src="_static/{site.MATHJAX_FILE}"' in text
    assert (index.parent / "_static" / site.MATHJAX_FILE).exists()


def test_no_executed_notebook_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no executed notebooks"):
        site.build_site(tmp_path, "smoke")


@pytest.fixture(scope="module")
def served_site():
    executed = sorted((RUN / "smoke" / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not executed:
        pytest.skip("no notebooks executed in results/test/smoke (run tests/test_notebooks.py first)")
    index = site.build_site(RUN, "smoke")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(index.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield index.parent, f"http://127.0.0.1:{server.server_address[1]}", executed
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("no chromium and chromedriver (make test installs Debian's chromium and chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    os.environ["SE_OFFLINE"] = "true"                  # never let Selenium fetch a driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


TYPESET = """
const done = arguments[arguments.length - 1];
const wait = (n) => (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise.then(() => done(true), () => done(false))
    : (n > 0 ? setTimeout(() => wait(n - 1), 100) : done(false));
wait(100);
"""

PAGE_STATE = """
const imgs = Array.from(document.images);
return {ready: document.readyState,
        images: imgs.length, decoded: imgs.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length,
        audio: document.querySelectorAll('audio').length,
        playable: Array.from(document.querySelectorAll('audio')).filter(a => a.querySelector('source[src^="data:audio"]') || (a.src || '').startsWith('data:audio')).length,
        links: Array.from(document.querySelectorAll('nav.s2i-nav a')).map(a => a.getAttribute('href')),
        height: document.documentElement.scrollHeight};
"""


def test_every_page_loads_without_errors_with_its_figures_and_sounds(served_site, browser):
    folder, url, executed = served_site
    shots = folder / "screenshots"
    shots.mkdir(exist_ok=True)
    problems = []
    for page, nb_path in [("index.html", None)] + [(site.page_name(p), p) for p in executed]:
        browser.get(f"{url}/{page}")
        browser.execute_async_script(TYPESET)          # equations drawn: every message of this page is in
        state = browser.execute_script(PAGE_STATE)
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        browser.set_window_size(1280, min(max(900, state["height"]), 16000))
        browser.save_screenshot(str(shots / page.replace(".html", ".png")))
        assert (shots / page.replace(".html", ".png")).stat().st_size > 10_000
        if errors:
            problems.append(f"{page}: console errors {errors[:3]}")
        if state["decoded"] != state["images"]:
            problems.append(f"{page}: {state['images'] - state['decoded']} of {state['images']} images not decoded")
        if not all((folder / href).exists() for href in state["links"]):
            problems.append(f"{page}: a navigation link to a missing page: {state['links']}")
        if nb_path is not None:
            nb = nbformat.read(str(nb_path), as_version=4)
            figures, sounds = _outputs(nb, _is_figure), _outputs(nb, _is_audio)
            if state["images"] < figures:
                problems.append(f"{page}: {state['images']} images for {figures} figures")
            if state["audio"] < sounds or state["playable"] < state["audio"]:
                problems.append(f"{page}: {state['audio']} audio players ({state['playable']} with their sound) "
                                f"for {sounds} sounds")
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("*.png"))) == len(executed) + 1
