"""The recruiters' web page in a real browser (Debian's headless chromium through Selenium), against the running
services, with the demo's twelve applicants sent as signed webhooks: sign in, create the role, read the ranking and
why the forged and revoked ones do not count, page through, sign out; a second tenant sees none of it; axe-core
finds no serious or critical accessibility violation on any page.

One browser for the module; the tests run in order, as one recruiter's session. With CREDBRIDGE_SCREENSHOTS set
to a folder (`make screenshots`), the ranked page is saved there for the README.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import requests

import demo
from loopback import LoopbackHost
from services.demo_issuer import Issuer
from tests.e2e.conftest import Api
from tests.support import axe

pytestmark = pytest.mark.e2e

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SHOTS = os.environ.get("CREDBRIDGE_SCREENSHOTS")
ROOT = Path(__file__).resolve().parents[2]

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("Debian's chromium and chromium-driver are not installed (make install installs them: "
                "apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def site(running, e2e_settings):
    return Api(running, e2e_settings)


@pytest.fixture(scope="module")
def tenants(site):
    return site.new_tenant(), site.new_tenant()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,1000",
                "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console: CSP refusals show there
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def accessible():
    """Asserts a page has no serious or critical axe violation (skipped, saying why, if axe cannot be fetched)."""
    try:
        axe.axe_source()
    except axe.Unavailable as exc:
        pytest.skip(f"axe-core could not be fetched from npm: {exc}")

    def check(driver) -> None:
        found = axe.violations(driver)
        assert found == [], f"{driver.current_url}: {found}"
    return check


def visit(driver, site: Api, path: str) -> None:
    driver.get(site.matching + path)


def heading(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def sign_in(driver, site: Api, key: str) -> None:
    visit(driver, site, "/app/sign-in")
    driver.find_element(By.ID, "api_key").send_keys(key)
    press(driver, "//input[@id='api_key']", keys=Keys.ENTER)  # the keyboard submits the form


def press(driver, xpath: str, *, keys: str | None = None) -> None:
    """Clicks (or types `keys` into) an element that submits or navigates, and waits for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    element = driver.find_element(By.XPATH, xpath)
    element.send_keys(keys) if keys else element.click()
    WebDriverWait(driver, 15).until(lambda _: replaced(old))


def replaced(old) -> bool:
    """Whether the page `old` (its html element) belongs to was replaced. Selenium's staleness_of counts only a
    stale-element error; chromedriver sometimes answers for a node of a page mid-replacement with an "unknown error"
    saying the node "does not belong to the document", which means the same and must not fail the test."""
    try:
        old.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in (exc.msg or ""):
            return True
        raise


def fill(driver, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def test_a_wrong_key_is_refused_on_the_sign_in_page(browser, site, accessible):
    sign_in(browser, site, "cbk_nobody.wrong")
    assert browser.find_element(By.ID, "api_key-error").text == "That key is not a valid recruiter key."
    accessible(browser)


def test_the_recruiter_signs_in_and_creates_the_demos_role_in_the_editor_after_fixing_what_it_refused(
        browser, site, tenants, accessible):
    sign_in(browser, site, tenants[0]["api_key"])
    assert heading(browser) == "Roles"
    press(browser, "//a[normalize-space()='New role']")
    role = demo.ROLE
    for _ in role["requirements"][1:]:
        press(browser, "//button[normalize-space()='Add a requirement']")
    fill(browser, "role_id", demo.ROLE_ID)
    fill(browser, "title", role["title"])
    for n, r in enumerate(role["requirements"]):
        p = f"r-{n}-"
        fill(browser, p + "id", r["id"])
        fill(browser, p + "competency", r["competency"])
        Select(browser.find_element(By.ID, p + "importance")).select_by_value(r["importance"])
        fill(browser, p + "weight", "heavy" if n == 0 else str(r["weight"]))
        fill(browser, p + "aliases", ", ".join(r.get("aliases", [])))
        if r.get("concept"):
            browser.find_element(By.XPATH, f"//fieldset[@data-row='{n}']//summary[contains(., 'Concept')]").click()
            fill(browser, p + "concept_framework", r["concept"]["framework"])
            fill(browser, p + "concept_uri", r["concept"]["uri"])
        if r.get("any_of"):
            browser.find_element(By.XPATH, f"//fieldset[@data-row='{n}']//summary[contains(., 'Stacking')]").click()
            Select(browser.find_element(By.ID, p + "stack")).select_by_value("any_of")
            fill(browser, p + "stack_count", str(r["any_of"]["count"]))
            fill(browser, p + "stack_of", "\n".join(i["label"] for i in r["any_of"]["of"]))
    press(browser, "(//button[@value='save'])[last()]")
    # Refused by the API's own schema, said beside the field, with everything typed kept.
    assert browser.find_element(By.ID, "r-0-weight-error").text == "Must be a number greater than 0."
    assert browser.switch_to.active_element.get_attribute("id") == "form-errors"  # the keyboard is taken there
    accessible(browser)
    fill(browser, "r-0-weight", str(role["requirements"][0]["weight"]))
    press(browser, "(//button[@value='save'])[last()]")
    assert heading(browser).startswith(role["title"])
    stored = requests.get(f"{site.matching}/v1/roles/{demo.ROLE_ID}", headers=site.auth(tenants[0]), timeout=10).json()
    assert [r["id"] for r in stored["requirements"]] == [r["id"] for r in role["requirements"]]
    assert stored["requirements"][3]["any_of"]["count"] == 2 and stored["requirements"][1]["aliases"] == ["relational databases"]


def test_the_competency_field_suggests_from_the_skills_vocabulary_as_one_types(browser, site, tenants):
    visit(browser, site, "/app/roles/new")
    if heading(browser) == "Sign in":
        sign_in(browser, site, tenants[0]["api_key"])
        visit(browser, site, "/app/roles/new")
    browser.find_element(By.ID, "r-0-competency").send_keys("postgre")
    option = "#competency-options option[value='PostgreSQL']"  # not in the starter list the page comes with
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, option))
    field = browser.find_element(By.ID, "r-0-competency")
    field.clear()
    field.send_keys("Python (computer programming)", Keys.TAB)  # chosen: the script fills in its ESCO concept
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "r-0-concept_uri").get_attribute("value"))
    assert browser.find_element(By.ID, "r-0-concept_uri").get_attribute("value") == (
        "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d")
    assert browser.find_element(By.ID, "r-0-concept_framework").get_attribute("value") == "ESCO"


@pytest.fixture(scope="module")
def seeded(site, tenants, browser):
    """The demo's twelve applicants through signed webhooks, every score settled (the role made by the test above,
    or here if that test did not run)."""
    tenant = tenants[0]
    if requests.get(f"{site.matching}/v1/roles/{demo.ROLE_ID}", headers=site.auth(tenant),
                                               timeout=10).status_code == 404:
        requests.put(f"{site.matching}/v1/roles/{demo.ROLE_ID}", json=demo.ROLE, headers=site.auth(tenant), timeout=10)
    issuer = Issuer.generate(name="Northwind Academy")
    with LoopbackHost() as host:
        apps = demo.send_applicants(tenant, issuer=issuer, status_url=demo.serve_status_list(host, issuer))
        for app_id in apps:
            site.wait_score(tenant, app_id, timeout_s=90, until=lambda s: s["status"] == "scored" and all(
                c["verdict"] for c in s["credentials"]))
    time.sleep(2.2)  # a walk lists scores settled before its as_of (services/matching/recruiter.py)
    visit(browser, site, "/app/roles")
    if heading(browser) == "Sign in":  # a test run on its own (-k) starts signed out
        sign_in(browser, site, tenant["api_key"])
    return apps


def ranked_ids(driver) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "table.ranked tbody td[data-label='Application'] a")]


def test_the_demos_twelve_applicants_are_ranked_with_score_band_marks_and_issuer_tier(
        browser, site, seeded, accessible):
    visit(browser, site, f"/app/roles/{demo.ROLE_ID}?limit=50")
    assert set(ranked_ids(browser)) == set(seeded)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.ranked tbody tr")
    assert len(rows) == 12
    first = rows[0].text
    assert "demo-app-01" in first and "100" in first and "strong" in first and "unknown ×" in first
    assert "✓ python" in first
    revoked = next(r for r in rows if "demo-app-07" in r.text)
    assert "40" in revoked.text and "essential requirement missing" in revoked.text and "✗ sql" in revoked.text
    scores = [int(r.find_element(By.CSS_SELECTOR, "td.score").text) for r in rows]
    assert scores == sorted(scores, reverse=True)
    accessible(browser)
    if SHOTS:
        Path(ROOT / SHOTS).mkdir(parents=True, exist_ok=True)
        browser.set_window_size(1366, 1900)  # the whole list of twelve
        browser.save_screenshot(str(ROOT / SHOTS / "ranked.png"))
        browser.set_window_size(1366, 1000)


def test_the_forged_and_the_revoked_applicants_pages_say_why_their_credentials_do_not_count(
        browser, site, seeded, accessible):
    visit(browser, site, f"/app/roles/{demo.ROLE_ID}?limit=50")
    press(browser, "//a[normalize-space()='demo-app-08']")  # Margaret Hamilton: a forged Python credential
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Forged or altered: the signature does not match what the credential says" in page
    assert "proof.signature" in page and "it counts for nothing" in page
    accessible(browser)
    if SHOTS:
        browser.set_window_size(1366, 2600)
        browser.save_screenshot(str(ROOT / SHOTS / "application.png"))
        browser.set_window_size(1366, 1000)
    browser.back()  # from the browser's history: the page is not re-requested before the next link is found
    press(browser, "//a[normalize-space()='demo-app-07']")  # Donald Knuth: his SQL credential was revoked
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Revoked: its issuer has withdrawn it" in page and "status.revocation" in page
    assert "Has the issuer revoked it?" in page
    visit(browser, site, "/app/applications/demo-app-09")  # Linus Torvalds: issued to someone else
    assert "Issued to someone else" in browser.find_element(By.TAG_NAME, "main").text


def test_paging_ten_at_a_time_lists_every_applicant_once_in_rank_order(browser, site, seeded):
    visit(browser, site, f"/app/roles/{demo.ROLE_ID}")
    Select(browser.find_element(By.ID, "limit")).select_by_value("10")
    press(browser, "//form[@aria-label='Filters']//button")
    seen = ranked_ids(browser)
    assert len(seen) == 10
    press(browser, "//a[normalize-space()='Next page']", keys=Keys.ENTER)
    seen += ranked_ids(browser)
    assert browser.find_elements(By.LINK_TEXT, "Next page") == []
    assert "Candidates 11–12" in browser.find_element(By.TAG_NAME, "caption").text
    visit(browser, site, f"/app/roles/{demo.ROLE_ID}?limit=50")
    everyone = ranked_ids(browser)
    assert seen == everyone and len(set(seen)) == 12


def test_at_a_phones_width_the_ranked_page_needs_no_sideways_scrolling(browser, site, seeded):
    browser.set_window_size(390, 844)
    try:
        visit(browser, site, f"/app/roles/{demo.ROLE_ID}?limit=50")
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        browser.set_window_size(1366, 1000)


def test_the_issuer_registry_trusts_an_issuer_and_refuses_a_malformed_one(browser, site, seeded, accessible):
    visit(browser, site, "/app/issuers")
    fill(browser, "trust-value", "web:not-a-did")
    press(browser, "//button[normalize-space()='Trust this issuer']")
    assert "A did starts with 'did:'" in browser.find_element(By.TAG_NAME, "main").text
    fill(browser, "trust-value", "did:web:northwind.example")
    press(browser, "//button[normalize-space()='Trust this issuer']")
    assert "Issuer added to your trust registry." in browser.find_element(By.TAG_NAME, "main").text
    accessible(browser)


def test_signing_out_ends_the_session(browser, site, seeded):
    visit(browser, site, "/app/roles")
    press(browser, "//button[normalize-space()='Sign out']")
    assert heading(browser) == "Sign in"
    visit(browser, site, f"/app/roles/{demo.ROLE_ID}")
    assert heading(browser) == "Sign in"


def test_a_second_tenant_sees_none_of_the_first_tenants_pages(browser, site, tenants, seeded):
    sign_in(browser, site, tenants[1]["api_key"])
    assert heading(browser) == "Roles" and "Backend engineer" not in browser.page_source
    for path in (f"/app/roles/{demo.ROLE_ID}", "/app/applications/demo-app-07", f"/app/roles/{demo.ROLE_ID}/edit"):
        visit(browser, site, path)
        assert heading(browser) == "Not found", path
        assert "demo-app" not in browser.find_element(By.TAG_NAME, "main").text
    press(browser, "//button[normalize-space()='Sign out']")


def test_no_page_had_anything_refused_by_its_content_security_policy(browser):
    refused = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []
