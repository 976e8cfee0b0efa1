"""A self-contained HTML report of pseudo-masks: one folder (``index.html``, its PNGs and a
``metrics.json``), opened straight from disk, no server.

It shows the per-class table (IoU, precision, recall, F1 and pixel shares, sortable by a click
on a column head), the confusion matrix, a gallery worst image first (image | weak labels drawn
on it | pseudo-mask | ground truth | error map, with a class legend), the run's config and the
counts: images scored, skipped and why. Without ground truth it shows the gallery (in the order
the images came) and the class areas alone.

    report = MaskReport(classes, palette)
    for name, image, pred, gt, weak in ...:
        report.add(name, pred, gt=gt, image=image, weak=weak)
    report.skip('b', 'no pseudo-mask')
    report.write('run/report', config=cfg)      # -> run/report/index.html

Writers: ``tools/eval_masks.py --html DIR``, the pipeline's ``quality`` stage, ``tools/demo.py``.
"""
from __future__ import annotations

import heapq
import html
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from wsseg.evaluation.confusion import confusion_matrix, mask_report, scores_from_confusion
from wsseg.utils.io import write_json_atomic, write_png_atomic
from wsseg.visualization.plots import _palette, _rgb_uint8, colorize, overlay, plot_confusion

# error-map colours: right, wrong, undecided (pseudo-mask 255 where the truth has a class), not scored
ERROR_COLOURS = {'correct': (40, 160, 60), 'wrong': (220, 30, 30), 'undecided': (240, 200, 0),
                 'not scored': (255, 255, 255)}
COLUMNS = ('image', 'weak labels', 'pseudo-mask', 'ground truth', 'errors')

_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach((th, col) => th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0];
  const dir = th.dataset.dir === 'desc' ? 1 : -1;
  th.dataset.dir = dir === 1 ? 'asc' : 'desc';
  const key = r => { const v = r.cells[col].dataset.value;
    return v === undefined ? r.cells[col].textContent : (v === '' ? -Infinity : parseFloat(v)); };
  [...body.rows].sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; })
    .forEach(r => body.appendChild(r));
}));
"""

_CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #eee; cursor: pointer; } td.name, th.name { text-align: left; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border: 1px solid #888;
          vertical-align: middle; margin-right: 0.3em; }
.legend span.item { margin-right: 1em; white-space: nowrap; }
table.gallery td { text-align: center; vertical-align: top; }
table.gallery img { display: block; image-rendering: pixelated; }
pre { background: #f6f6f6; padding: 0.6em; max-height: 30em; overflow: auto; }
"""


def _thumb(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shrink an RGB picture so its longer side is at most ``size`` (box filter); never enlarge."""
    h, w = rgb.shape[:2]
    s = size / max(h, w)
    if s >= 1:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((max(1, round(w * s)), max(1, round(h * s))), Image.BOX))


def error_map(pred: np.ndarray, gt: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """RGB picture of where a mask agrees with the truth (:data:`ERROR_COLOURS`)."""
    out = np.empty(gt.shape + (3,), np.uint8)
    scored = gt != ignore_index
    out[:] = ERROR_COLOURS['not scored']
    out[scored & (pred == gt)] = ERROR_COLOURS['correct']
    out[scored & (pred != gt) & (pred != ignore_index)] = ERROR_COLOURS['wrong']
    out[scored & (pred == ignore_index)] = ERROR_COLOURS['undecided']
    return out


def _num(v) -> str:
    """A table cell with the exact value in ``data-value`` (sorting, tests) and 2 decimals shown."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return '<td data-value="">&ndash;</td>'
    return f'<td data-value="{float(v)!r}">{float(v):.2f}</td>'


class MaskReport:
    """Accumulates masks one image at a time, then writes the report folder.

    ``gallery``: how many images the gallery shows (the worst by per-image mIoU when there is
    ground truth); ``thumb``: the longer side of its pictures in pixels.
    """

    def __init__(self, classes: Sequence[str], palette=None, ignore_index: int = 255,
                 gallery: int = 12, thumb: int = 192, title: str = 'wsseg pseudo-label report'):
        self.classes = [str(c) for c in classes]
        self.k = len(self.classes)
        self.lut = _palette(palette, self.k)
        self.ignore_index, self.gallery, self.thumb, self.title = ignore_index, gallery, thumb, title
        self.cm = np.zeros((self.k, self.k), np.int64)
        self.pred_area = np.zeros(self.k, np.int64)
        self.pred_images = np.zeros(self.k, np.int64)
        self.labelled = self.total = self.scored = self.seen = 0
        self.skipped: dict[str, list[str]] = defaultdict(list)
        self._kept: list = []            # heap of (-score, order, name, cells): the best kept on top
        self._order = itertools.count()

    # ------------------------------------------------------------------------ accumulate
    def add(self, name: str, pred: np.ndarray, gt: np.ndarray | None = None,
            image: np.ndarray | None = None, weak: np.ndarray | None = None) -> float:
        """Count one image's pseudo-mask (and truth, weak-label map with 255 = unlabelled, RGB
        image, each optional); returns its mIoU in percent (NaN without truth)."""
        pred = np.asarray(pred)
        for what, m in (('ground truth', gt), ('weak labels', weak), ('image', image)):
            if m is not None and np.asarray(m).shape[:2] != pred.shape:
                raise ValueError(f'MaskReport.add({name!r}): {what} size {np.asarray(m).shape[:2]} '
                                 f'differs from the pseudo-mask size {pred.shape}')
        self.seen += 1
        decided = pred[pred != self.ignore_index].astype(np.int64)
        counts = np.bincount(decided[decided < self.k], minlength=self.k)[:self.k]
        self.pred_area += counts
        self.pred_images += counts > 0
        self.labelled, self.total = self.labelled + decided.size, self.total + pred.size
        score = float('nan')
        if gt is not None:
            cm = confusion_matrix(pred, gt, self.k, self.ignore_index)
            self.cm += cm
            self.scored += 1
            score = 100 * float(scores_from_confusion(cm)['mIoU'])
        order = next(self._order)
        # rank: worst first by mIoU; images without truth (or nothing scored) after, in arrival order
        rank = score if np.isfinite(score) else 1e9 + order
        if len(self._kept) < self.gallery:
            heapq.heappush(self._kept, (-rank, order, name, score, self._cells(pred, gt, image, weak)))
        elif self.gallery and rank < -self._kept[0][0]:
            heapq.heapreplace(self._kept, (-rank, order, name, score, self._cells(pred, gt, image, weak)))
        return score

    def skip(self, name: str, reason: str) -> None:
        """Record an image left out of the report, and why."""
        self.skipped[str(reason)].append(str(name))

    def _cells(self, pred, gt, image, weak) -> list[np.ndarray | None]:
        base = _rgb_uint8(image) if image is not None else None
        ignore = self.ignore_index
        cells = [
            base,
            None if weak is None else (overlay(base, weak, self.lut, alpha=1.0, ignore_index=ignore)
                                       if base is not None else colorize(weak, self.lut, ignore)),
            colorize(pred, self.lut, ignore),
            None if gt is None else colorize(gt, self.lut, ignore),
            None if gt is None else error_map(pred, gt, ignore),
        ]
        return [None if c is None else _thumb(c, self.thumb) for c in cells]

    # ------------------------------------------------------------------------ results
    @property
    def has_gt(self) -> bool:
        return self.scored > 0

    def metrics(self) -> dict:
        """``metrics.json``: :func:`~wsseg.evaluation.mask_report` (when there is truth), the
        class areas (pixel shares in percent) and the counts."""
        gt_area = self.cm.sum(1)
        area = {c: {'pseudo_mask_pixels': int(self.pred_area[i]),
                    'pseudo_mask_share': 100 * self.pred_area[i] / max(int(self.pred_area.sum()), 1),
                    'pseudo_mask_images': int(self.pred_images[i])} for i, c in enumerate(self.classes)}
        if self.has_gt:
            for i, c in enumerate(self.classes):
                area[c]['ground_truth_share'] = 100 * gt_area[i] / max(int(gt_area.sum()), 1)
        counts = dict(images=self.seen + sum(len(v) for v in self.skipped.values()), scored=self.scored,
                      without_ground_truth=self.seen - self.scored,
                      skipped={r: len(v) for r, v in self.skipped.items()},
                      skipped_files={r: v for r, v in self.skipped.items()})
        if self.has_gt:
            out = mask_report(self.cm, self.classes, self.labelled, self.total, num_images=self.scored)
        else:
            out = dict(units='pixel shares in percent; labelled_fraction in 0..1', classes=self.classes,
                       labelled_fraction=self.labelled / self.total if self.total else None)
        out.update(class_area=area, counts=counts)
        return json.loads(json.dumps(out, default=float))

    def gallery_rows(self) -> list[tuple[str, float, list]]:
        """``(name, mIoU, cells)`` of the gallery, worst first (arrival order without truth)."""
        return [(name, score, cells) for _, _, name, score, cells in sorted(self._kept, key=lambda t: (-t[0], t[1]))]

    # ------------------------------------------------------------------------ write
    def write(self, out_dir, config=None) -> Path:
        """Write ``index.html``, its PNGs and ``metrics.json`` into ``out_dir``; returns the page."""
        out = Path(out_dir)
        (out / 'images').mkdir(parents=True, exist_ok=True)
        m = self.metrics()
        write_json_atomic(out / 'metrics.json', m)
        parts = [f'<h1>{html.escape(self.title)}</h1>', self._summary_html(m), self._legend_html()]
        parts.append(self._class_table_html(m))
        if self.has_gt:
            plot_confusion(self.cm, self.classes, out / 'confusion.png', title='pseudo-masks vs ground truth')
            parts.append('<h2>Confusion matrix</h2><p>rows: ground truth, columns: pseudo-mask, '
                         'normalised over each row.</p><img id="confusion" src="confusion.png" alt="confusion matrix">')
        parts.append(self._gallery_html(out))
        parts.append(self._counts_html(m))
        if config is not None:
            text = config if isinstance(config, str) else json.dumps(config, indent=1, default=str)
            parts.append(f'<h2>Config</h2><pre id="config">{html.escape(text)}</pre>')
        page = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<title>{html.escape(self.title)}</title><link rel="icon" href="data:,">'
                f'<style>{_CSS}</style></head>\n<body>\n' + '\n'.join(parts) +
                f'\n<script>{_SORT_JS}</script>\n</body></html>\n')
        path = out / 'index.html'
        tmp = path.with_name('.index.html.tmp')
        tmp.write_text(page, encoding='utf-8')
        tmp.replace(path)
        return path

    def _swatch(self, i: int) -> str:
        r, g, b = (int(v) for v in self.lut[i])
        return f'<span class="swatch" style="background: rgb({r},{g},{b})"></span>'

    def _summary_html(self, m: dict) -> str:
        if not self.has_gt:
            return (f'<p id="summary">No ground truth: the gallery and the class areas only. '
                    f'{self.seen} pseudo-masks, decided share {100 * (m["labelled_fraction"] or 0):.2f}%.</p>')
        return (f'<p id="summary">mIoU <b data-value="{m["mIoU"]!r}">{m["mIoU"]:.2f}</b>, '
                f'pixel accuracy {m["aAcc"]:.2f}, over {self.scored} images; '
                f'decided share {100 * m["labelled_fraction"]:.2f}%.</p>')

    def _legend_html(self) -> str:
        items = [f'<span class="item">{self._swatch(i)}{html.escape(c)}</span>' for i, c in enumerate(self.classes)]
        items.append('<span class="item"><span class="swatch" style="background: #fff"></span>'
                     'unlabelled / ignored</span>')
        errs = [f'<span class="item"><span class="swatch" style="background: rgb{v}"></span>{k}</span>'
                for k, v in ERROR_COLOURS.items()]
        return (f'<div class="legend" id="legend"><b>classes:</b> {"".join(items)}</div>'
                f'<div class="legend" id="error-legend"><b>error map:</b> {"".join(errs)}</div>')

    def _class_table_html(self, m: dict) -> str:
        area = m['class_area']
        if self.has_gt:
            head = ['class', 'IoU', 'precision', 'recall', 'F1', 'pixel share (truth)', 'pixel share (pseudo)']
            rows = [[m['per_class'][c][key] for key in ('IoU', 'precision', 'recall', 'F1')] +
                    [area[c]['ground_truth_share'], area[c]['pseudo_mask_share']] for c in self.classes]
            title = 'Per class (percent; click a column head to sort)'
        else:
            head = ['class', 'pixel share (pseudo)', 'images with the class']
            rows = [[area[c]['pseudo_mask_share'], area[c]['pseudo_mask_images']] for c in self.classes]
            title = 'Class areas in the pseudo-masks (percent; click a column head to sort)'
        ths = ''.join(f'<th class="name">{h}</th>' if j == 0 else f'<th>{h}</th>' for j, h in enumerate(head))
        trs = ''.join(f'<tr data-class="{html.escape(c)}"><td class="name">{self._swatch(i)}{html.escape(c)}</td>'
                      + ''.join(_num(v) for v in row) + '</tr>'
                      for i, (c, row) in enumerate(zip(self.classes, rows)))
        return (f'<h2>{title}</h2><table class="sortable" id="classes"><thead><tr>{ths}</tr></thead>'
                f'<tbody>{trs}</tbody></table>')

    def _gallery_html(self, out: Path) -> str:
        rows = self.gallery_rows()
        order = 'worst image first (per-image mIoU)' if self.has_gt else 'in the order the images came'
        cols = COLUMNS if self.has_gt else COLUMNS[:3]
        head = '<th class="name">image id</th>' + ''.join(f'<th>{c}</th>' for c in cols)
        trs = []
        for r, (name, score, cells) in enumerate(rows):
            tds = []
            for c, cell in enumerate(cells[:len(cols)]):
                if cell is None:
                    tds.append('<td>n/a</td>')
                    continue
                rel = f'images/{r:03d}_{c}.png'
                write_png_atomic(out / rel, cell)
                zoom = max(1, self.thumb // max(cell.shape[:2]))     # small images shown enlarged
                tds.append(f'<td><img src="{rel}" alt="{html.escape(name)}: {cols[c]}" '
                           f'width="{zoom * cell.shape[1]}" height="{zoom * cell.shape[0]}"></td>')
            shown = f'<br>mIoU {score:.2f}' if np.isfinite(score) else ''
            data = f' data-miou="{score!r}"' if np.isfinite(score) else ''
            trs.append(f'<tr class="gallery-row" data-name="{html.escape(name)}"{data}>'
                       f'<td class="name">{html.escape(name)}{shown}</td>{"".join(tds)}</tr>')
        return (f'<h2>Gallery: {len(rows)} of {self.seen} images, {order}</h2>'
                f'<table class="gallery" id="gallery"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(trs)}</tbody></table>')

    def _counts_html(self, m: dict) -> str:
        c = m['counts']
        rows = [('images', c['images']), ('scored against ground truth', c['scored']),
                ('pseudo-mask without ground truth', c['without_ground_truth'])]
        rows += [(f'skipped: {r}', n) for r, n in c['skipped'].items()]
        trs = ''.join(f'<tr><td class="name">{html.escape(k)}</td><td>{v}</td></tr>' for k, v in rows)
        examples = ''.join(f'<li>{html.escape(r)}: {html.escape(", ".join(v[:5]))}'
                           f'{" ..." if len(v) > 5 else ""}</li>' for r, v in self.skipped.items())
        return (f'<h2>Counts</h2><table id="counts"><tbody>{trs}</tbody></table>'
                + (f'<ul id="skipped">{examples}</ul>' if examples else ''))
