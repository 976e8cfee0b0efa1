"""Class-map assembly (background decision, overlap rule) and prompts, on hand-made inputs."""
from __future__ import annotations

import numpy as np
import torch

from wsseg.pseudo.sam_prompts import assemble_class_map, build_prompts, class_logits, spread_points
from wsseg.structures import WeakLabels


def maps():
    p = np.zeros((3, 2, 4), np.float32)
    p[0] = [[0.9, 0.6, 0.2, 0.7], [0.1, 0.4, 0.7, 0.0]]     # prompt 0: class 1, big box
    p[1] = [[0.2, 0.8, 0.1, 0.7], [0.3, 0.2, 0.7, 0.3]]     # prompt 1: class 2, small box
    p[2] = [[0.0, 0.0, 0.3, 0.2], [0.0, 0.0, 0.2, 0.45]]    # prompt 2: class 3, points only
    return p, np.array([1, 2, 3]), np.array([100.0, 20.0, np.inf])


def test_background_and_overlap():
    p, labels, areas = maps()
    mask, conf = assemble_class_map(p, labels, areas, background_index=0)
    assert mask.tolist() == [[1, 2, 0, 2], [0, 0, 2, 0]]
    np.testing.assert_allclose(conf, [[0.9, 0.8, 0.7, 0.7], [0.7, 0.6, 0.7, 0.55]], atol=1e-6)


def test_tie_goes_to_smaller_box_whatever_the_order():
    p, labels, areas = maps()
    rev = assemble_class_map(p[::-1], labels[::-1], areas[::-1], background_index=0)[0]
    assert rev[0, 3] == 2 and rev[1, 2] == 2              # 0.7 vs 0.7: the 20-px box wins
    big_small = assemble_class_map(p, labels, np.array([10.0, 20.0, np.inf]), 0)[0]
    assert big_small[0, 3] == 1                           # now prompt 0's box is smaller


def test_no_background_class_leaves_undecided():
    p, labels, areas = maps()
    mask, conf = assemble_class_map(p, labels, areas, background_index=None)
    assert mask.tolist() == [[1, 2, 255, 2], [255, 255, 2, 255]]
    assert conf[0, 2] == 0 and conf[0, 0] > 0.8


def test_threshold_and_empty():
    p, labels, areas = maps()
    mask = assemble_class_map(p, labels, areas, 0, threshold=0.75)[0]
    assert mask.tolist() == [[1, 2, 0, 0], [0, 0, 0, 0]]
    m, c = assemble_class_map(np.zeros((0, 2, 4)), np.zeros(0), np.zeros(0), 0)
    assert (m == 0).all() and (c == 1).all()
    assert (assemble_class_map(np.zeros((0, 2, 4)), np.zeros(0), np.zeros(0), None)[0] == 255).all()


def test_soft_class_logits_agree_with_the_hard_rule():
    p, labels, areas = maps()
    p = np.clip(p + np.random.default_rng(0).uniform(-0.01, 0.01, p.shape), 0.01, 0.99)  # no ties
    logits = torch.logit(torch.as_tensor(p, dtype=torch.float32))
    z = class_logits(logits, labels, 5, background_index=0)
    assert z.shape == (5, 2, 4) and (z[4] < -20).all() and (z[0] == 0).all()
    hard = assemble_class_map(p, labels, areas, 0)[0]
    assert (z.argmax(0).numpy() == hard).all()
    single = torch.softmax(class_logits(logits[:1], labels[:1], 2, 0), 0)[1]
    torch.testing.assert_close(single, torch.as_tensor(p[0], dtype=torch.float32))


def test_prompts_one_per_box_and_per_unboxed_scribble_component():
    scr = np.full((32, 32), 255, np.uint8)
    scr[5, 4:10] = 1                     # class 1, inside its box
    scr[6, 12] = 2                       # class 2 inside the class-1 box -> negative point
    scr[20, 2:8] = 2                     # class 2 has no box: two components
    scr[28, 20:30] = 2
    scr[30, 0:5] = 0                     # background scribbles prompt nothing
    weak = WeakLabels((32, 32), boxes=[[2, 2, 16, 12], [0, 0, 4, 4]], box_labels=[1, 0], scribbles=scr)
    assert build_prompts(weak, 0).labels.tolist() == [1, 2, 2, 2]     # 3 class-2 components
    pr = build_prompts(weak, background_index=0, box_pos_points=2, box_neg_points=1, max_components=2)
    assert pr.labels.tolist() == [1, 2, 2] and pr.areas[0] == 140 and np.isinf(pr.areas[1:]).all()
    assert pr.boxes.shape == (1, 4) and pr.box_points.shape == (1, 3, 2)
    assert pr.box_point_labels.tolist() == [[1, 1, 0]]
    assert tuple(pr.box_points[0, 2]) == (12, 6)
    assert pr.points.shape[0] == 2 and (pr.point_labels[0] == 1).all()
    assert {tuple(p) for p in pr.points[0]} <= {(x, 28) for x in range(20, 30)}   # largest first
    assert {tuple(p) for p in pr.points[1]} <= {(x, 20) for x in range(2, 8)}
    only_boxes = build_prompts(weak, 0, box_pos_points=0, box_neg_points=0, scribble_prompts=False)
    assert only_boxes.labels.tolist() == [1] and (only_boxes.box_point_labels == -1).all()


def test_spread_points_are_distinct_and_far_apart():
    ys, xs = np.zeros(50, int), np.arange(50)
    pts = spread_points(ys, xs, 3)
    assert sorted(pts[:, 0].tolist()) == [0, 24, 49] or sorted(pts[:, 0].tolist()) == [0, 25, 49]
    assert len(spread_points(ys[:2], xs[:2], 5)) == 2
