"""Drives the page in headless Chromium (Debian's chromium + chromium-driver, through selenium):
used by the browser test, and to take the screenshot in docs/ (`python tests/serving/page_driver.py URL PNG`)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1000,1500")


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (uv sync installs the dev group)"
    if not any(shutil.which(name) for name in CHROMIUM):
        return "chromium is not installed (make test-tools: apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (make test-tools: apt-get install chromium-driver)"
    return None


def start_browser(profile: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(p for name in CHROMIUM if (p := shutil.which(name)))
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # An explicit driver path: selenium then never tries to download one.
    return webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))


def drive(base_url: str, screenshot: Path, *, prod_code: str | None = None, sample: bool = False) -> dict[str, Any]:
    """Open the page, compose a basket (or load a real sample one), submit it, and return what the
    page shows: label, probabilities (from the bars' texts), counts and provenance."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with tempfile.TemporaryDirectory() as profile:
        driver = start_browser(profile)
        try:
            wait = WebDriverWait(driver, 20)
            driver.get(base_url + "/")
            wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
            if sample:
                driver.find_element(By.ID, "load-sample").click()
            else:
                search = driver.find_element(By.ID, "product-search")
                search.send_keys((prod_code or "PRD")[:6])
                wait.until(lambda d: "match" in d.find_element(By.ID, "search-count").text)
                Select(driver.find_element(By.ID, "store_format")).select_by_value("MS")
                Select(driver.find_element(By.ID, "store_region")).select_by_value("W01")
                Select(driver.find_element(By.ID, "shop_weekday")).select_by_value("6")
                hour = driver.find_element(By.ID, "shop_hour")
                hour.clear()
                hour.send_keys("11")
                row = driver.find_element(By.CSS_SELECTOR, "#lines tr.line")
                for cls, value in (("code", prod_code or "PRD0000001"), ("quantity", "2"), ("spend", "3.10")):
                    field = row.find_element(By.CLASS_NAME, cls)
                    field.clear()
                    field.send_keys(value)
                driver.find_element(By.ID, "add-line").click()
                second = driver.find_elements(By.CSS_SELECTOR, "#lines tr.line")[1]
                second.find_element(By.CLASS_NAME, "code").send_keys("PRD9999999")  # one the model never saw
            driver.find_element(By.ID, "predict").click()
            wait.until(ec.visibility_of_element_located((By.ID, "result")))
            shown = {
                "label": driver.find_element(By.ID, "label").text,
                "probabilities": {bar.get_attribute("data-class"): float(bar.find_element(By.CLASS_NAME, "value").text)
                                  for bar in driver.find_elements(By.CSS_SELECTOR, "#bars .bar")},
                "counts": driver.find_element(By.ID, "counts").text,
                "provenance": driver.find_element(By.ID, "provenance").text,
                "sample_note": driver.find_element(By.ID, "sample-note").text,
            }
            driver.save_screenshot(str(screenshot))
            return shown
        finally:
            driver.quit()


def docs_operations(base_url: str) -> list[str]:
    """The operations Swagger UI renders at /docs (its assets come from the app itself)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as profile:
        driver = start_browser(profile)
        try:
            driver.get(base_url + "/docs")
            WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
            return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")]
        finally:
            driver.quit()


if __name__ == "__main__":
    print(drive(sys.argv[1], Path(sys.argv[2]), sample=len(sys.argv) > 3 and sys.argv[3] == "sample"))
