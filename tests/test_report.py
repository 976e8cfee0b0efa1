"""The HTML pseudo-label report (wsseg/visualization/report.py): its files and numbers, and the
page itself in a real headless Chromium (skipped with the reason when none is installed;
``WSSEG_REQUIRE_BROWSER=1``, set by .ci/run after it installed one, makes that a failure)."""
from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pytest

from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion
from wsseg.visualization.report import MaskReport

CLASSES = ('background', 'sea grass', 'rock <&>')     # a name that needs HTML escaping
# arrival order of the images and the share of pixels each gets wrong: 'img_c' is the worst
ERRORS = {'img_a': 0.10, 'img_b': 0.02, 'img_c': 0.45, 'img_d': 0.25, 'img_e': 0.0}


def _truth(seed: int) -> np.ndarray:
    gt = np.zeros((48, 64), np.uint8)
    gt[8:30, 10 + seed:40 + seed] = 1
    gt[34:, :20] = 2
    gt[0, :] = 255                                     # an ignored row
    return gt


def build(tmp_path, with_truth: bool = True, gallery: int = 4):
    """A report over five images with known errors; returns (report, page path, truths, preds)."""
    rng = np.random.default_rng(0)
    report = MaskReport(CLASSES, palette=[(0, 0, 0), (0, 200, 0), (120, 120, 120)], gallery=gallery)
    truths, preds = {}, {}
    for i, (name, err) in enumerate(ERRORS.items()):
        gt = _truth(i)
        pred = gt.copy()
        pred[0, :] = 0
        flip = rng.random(gt.shape) < err
        pred[flip] = (pred[flip] + 1) % 3
        pred[40:44, 50:54] = 255                       # an undecided patch
        weak = np.full_like(gt, 255)
        weak[20, 12:30] = 1
        weak[45, 2:15] = 2
        image = rng.integers(0, 256, gt.shape + (3,), dtype=np.uint8)
        report.add(name, pred, gt if with_truth else None, image=image, weak=weak)
        truths[name], preds[name] = gt, pred
    report.skip('img_f', 'no pseudo-mask')
    report.skip('img_g', 'no pseudo-mask')
    page = report.write(tmp_path / 'report', config=dict(labeller='NetworkPseudoLabeller', note='x < y'))
    return report, page, truths, preds


def test_report_files_and_numbers(tmp_path):
    report, page, truths, preds = build(tmp_path)
    out = page.parent
    m = json.loads((out / 'metrics.json').read_text())
    cm = sum(confusion_matrix(preds[n], truths[n], 3) for n in ERRORS)
    s = scores_from_confusion(cm)
    assert m['mIoU'] == pytest.approx(100 * s['mIoU'])
    assert m['per_class']['sea grass']['IoU'] == pytest.approx(100 * s['IoU'][1])
    assert m['counts'] == dict(images=7, scored=5, without_ground_truth=0, skipped={'no pseudo-mask': 2},
                               skipped_files={'no pseudo-mask': ['img_f', 'img_g']})
    share = m['class_area']['background']['ground_truth_share']
    assert share == pytest.approx(100 * cm[0].sum() / cm.sum())
    assert (out / 'confusion.png').stat().st_size > 0
    text = page.read_text()
    # gallery: the 4 worst of 5, worst first, each with five pictures on disk
    names = re.findall(r'class="gallery-row" data-name="([^"]+)"', text)
    assert names == sorted(ERRORS, key=lambda n: ERRORS[n], reverse=True)[:4]
    for src in re.findall(r'<img src="(images/[^"]+)"', text):
        assert (out / src).stat().st_size > 0, src
    assert len(re.findall(r'<img src="images/', text)) == 4 * 5
    assert 'rock &lt;&amp;&gt;' in text and 'rock <&>' not in text
    assert 'x &lt; y' in text and 'no pseudo-mask' in text


def test_report_without_truth_shows_gallery_and_areas(tmp_path):
    report, page, _, preds = build(tmp_path, with_truth=False, gallery=3)
    out = page.parent
    m = json.loads((out / 'metrics.json').read_text())
    assert 'mIoU' not in m and not (out / 'confusion.png').exists()
    area = sum(np.bincount(p[p != 255], minlength=3) for p in preds.values())
    for i, c in enumerate(CLASSES):
        assert m['class_area'][c]['pseudo_mask_share'] == pytest.approx(100 * area[i] / area.sum())
    text = page.read_text()
    assert re.findall(r'data-name="([^"]+)"', text) == list(ERRORS)[:3]      # arrival order
    assert 'No ground truth' in text and 'IoU' not in text
    assert len(re.findall(r'<img src="images/', text)) == 3 * 3             # image, weak, pseudo


def test_report_rejects_mismatched_sizes():
    report = MaskReport(CLASSES)
    with pytest.raises(ValueError, match="'x'.*ground truth size"):
        report.add('x', np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))


# ----------------------------------------------------------------------------- the browser
def _browser():
    """(chromium, chromedriver) paths, or the reason they cannot be used."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, 'selenium is not installed (requirements.txt)'
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    driver = shutil.which('chromedriver')
    if not chromium or not driver:
        return None, ('no headless Chromium here (apt-get install chromium chromium-driver; '
                      '.ci/run installs them)')
    return (chromium, driver), ''


def test_report_in_headless_chromium(tmp_path):
    found, why = _browser()
    if found is None:
        if os.environ.get('WSSEG_REQUIRE_BROWSER') == '1':
            pytest.fail(f'WSSEG_REQUIRE_BROWSER=1 but {why}')
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    _, page, _, _ = build(tmp_path)
    metrics = json.loads((page.parent / 'metrics.json').read_text())
    opts = webdriver.ChromeOptions()
    opts.binary_location = found[0]
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync',
                 '--disable-dev-shm-usage', '--window-size=1400,1200', f'--user-data-dir={tmp_path / "profile"}'):
        opts.add_argument(flag)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=found[1]))
    try:
        driver.set_page_load_timeout(60)
        driver.get(page.as_uri())
        # 1. no console errors (a missing picture or a script error would be one)
        errors = [e for e in driver.get_log('browser') if e['level'] == 'SEVERE']
        assert not errors, errors
        assert driver.execute_script(
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"), 'a picture did not load'
        # 2. every class name, and the table's numbers equal metrics.json's
        rows = driver.find_elements(By.CSS_SELECTOR, '#classes tbody tr')
        assert [r.find_element(By.CSS_SELECTOR, 'td.name').text for r in rows] == list(CLASSES)
        for r in rows:
            c = r.get_attribute('data-class')
            cells = r.find_elements(By.CSS_SELECTOR, 'td[data-value]')
            want = [metrics['per_class'][c][k] for k in ('IoU', 'precision', 'recall', 'F1')] + \
                   [metrics['class_area'][c]['ground_truth_share'], metrics['class_area'][c]['pseudo_mask_share']]
            assert [float(x.get_attribute('data-value')) for x in cells] == want
            assert [x.text for x in cells] == [f'{v:.2f}' for v in want]
        shown = driver.find_element(By.CSS_SELECTOR, '#summary b')
        assert shown.text == f"{metrics['mIoU']:.2f}"
        # sorting by a click on the IoU head: descending, then ascending
        driver.find_element(By.XPATH, "//table[@id='classes']//th[text()='IoU']").click()
        ious = [float(x.get_attribute('data-value')) for x in
                driver.find_elements(By.CSS_SELECTOR, '#classes tbody tr td:nth-child(2)')]
        assert ious == sorted(ious, reverse=True)
        driver.find_element(By.XPATH, "//table[@id='classes']//th[text()='IoU']").click()
        ious = [float(x.get_attribute('data-value')) for x in
                driver.find_elements(By.CSS_SELECTOR, '#classes tbody tr td:nth-child(2)')]
        assert ious == sorted(ious)
        # 3. a screenshot of the page
        shot = tmp_path / 'report.png'
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and shot.stat().st_size > 10_000
        # 4. the gallery's first row is the worst image
        first = driver.find_element(By.CSS_SELECTOR, '#gallery tbody tr')
        assert first.get_attribute('data-name') == max(ERRORS, key=ERRORS.get)
        scores = [float(r.get_attribute('data-miou')) for r in
                  driver.find_elements(By.CSS_SELECTOR, '#gallery tbody tr')]
        assert scores == sorted(scores)
    finally:
        driver.quit()
